#include "util/state_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "util/unique_fd.h"

namespace procaudit {

void WriteStateFile(const std::string& dir, const std::string& path, std::string_view text) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("creating " + dir + ": " + std::strerror(errno));
  }
  const std::string tmp = path + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid() ||
        write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        fsync(fd.get()) != 0) {
      const int err = errno;
      unlink(tmp.c_str());
      throw std::runtime_error("writing " + tmp + ": " + std::strerror(err));
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("writing " + path + ": " + std::strerror(err));
  }
}

std::vector<StateFile> ReadStateFiles(const std::string& dir, std::string_view prefix,
                                      std::string_view suffix) {
  std::vector<StateFile> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = readdir(d)) {
    const std::string_view name(e->d_name);
    if (!name.starts_with(prefix) || !name.ends_with(suffix)) continue;
    StateFile f{dir + "/" + std::string(name), {}};
    std::ifstream in(f.path);
    f.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    out.push_back(std::move(f));
  }
  closedir(d);
  return out;
}

}  // namespace procaudit

#include "daemon/config.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "daemon/osquery_json.h"
#include "util/unique_fd.h"

namespace procaudit::daemon {
namespace {

using Json = nlohmann::ordered_json;

// osquery keys that procaudit accepts and ignores, each with a note in DaemonConfig::notes,
// and why ignoring it changes nothing the config's author relies on. Everything else procaudit
// does not implement is an error.
struct IgnoredKey {
  std::string_view section;  // "config" (top level), "options" or "query"
  std::string_view key;
  std::string_view why;
};
constexpr IgnoredKey kIgnoredKeys[] = {
    {"config", "decorators", "procaudit adds no decorations to result lines"},
    {"config", "file_paths",
     "osquery's file integrity monitoring; procaudit watches files with --watch-dir"},
    {"config", "file_accesses", "goes with file_paths, which procaudit does not read"},
    {"config", "yara", "procaudit has no yara tables"},
    {"config", "events",
     "osquery's event subscriber switches; procaudit's event sources are chosen on its command "
     "line"},
    {"config", "auto_table_construction", "procaudit builds no tables from other databases"},
    {"options", "schedule_splay_percent",
     "procaudit runs each query at its interval, without osquery's random splay"},
    {"query", "denylist",
     "procaudit never denylists a query that failed or overran, so there is nothing to exempt"},
};

const IgnoredKey* FindIgnored(std::string_view section, std::string_view key) {
  for (const IgnoredKey& k : kIgnoredKeys) {
    if (k.section == section && k.key == key) return &k;
  }
  return nullptr;
}

// The one error line, thrown from anywhere in the walk and caught at the top.
struct ConfigError {
  std::string line;
};

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += (b >= 0x20 && b != 0x7F) ? c : '?';
  }
  return out;
}

// A JSON value as the user wrote it, short enough for an error line.
std::string Describe(const Json& v) {
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return Printable(text);
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Where a value sits: its file and key path ("packs.ir.queries.crontab"), for messages.
struct Where {
  std::string file;
  std::string path;

  Where Child(std::string_view key) const {
    return {file, path.empty() ? std::string(key) : path + "." + std::string(key)};
  }
  std::string Prefix() const {
    return Printable(file) + ": " + (path.empty() ? "" : Printable(path) + ": ");
  }
  [[noreturn]] void Fail(std::string_view message) const {
    throw ConfigError{Prefix() + std::string(message)};
  }
  [[noreturn]] void FailUnknown(std::initializer_list<std::string_view> known) const {
    const std::string_view key = std::string_view(path).substr(path.rfind('.') + 1);
    for (std::string_view k : known) {
      if (EditDistance(key, k) <= 2) Fail("unknown key (did you mean \"" + std::string(k) + "\"?)");
    }
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    Fail("unknown key (known here: " + list + ")");
  }
};

// --- Values -------------------------------------------------------------------------------

const std::string& AsString(const Json& v, const Where& w) {
  if (!v.is_string()) w.Fail("must be a string, got " + Describe(v));
  return v.get_ref<const std::string&>();
}

std::string AsNonEmptyString(const Json& v, const Where& w) {
  const std::string& s = AsString(v, w);
  if (s.empty()) w.Fail("must not be empty");
  return s;
}

// osquery also takes "true"/"false" strings, as flags files write them.
bool AsBool(const Json& v, const Where& w) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true") return true;
    if (s == "false") return false;
  }
  w.Fail("must be true or false, got " + Describe(v));
}

// A whole number given as a JSON number or a string of digits, within lo..hi.
uint64_t AsBoundedCount(const Json& v, const Where& w, uint64_t lo, uint64_t hi,
                        std::string_view unit) {
  std::optional<uint64_t> n;
  if (v.is_number_unsigned()) {
    n = v.get<uint64_t>();
  } else if (v.is_string()) {
    n = ParseDigits(v.get_ref<const std::string&>());
  }
  if (!n || *n < lo || *n > hi) {
    w.Fail("must be " + std::to_string(lo) + ".." + std::to_string(hi) + std::string(unit) +
           ", got " + Describe(v));
  }
  return *n;
}

uint64_t AsInterval(const Json& v, const Where& w) {
  return AsBoundedCount(v, w, 1, kMaxIntervalSeconds, " seconds");
}

uint64_t AsSize(const Json& v, const Where& w) {
  std::optional<uint64_t> n;
  if (v.is_number_unsigned()) {
    n = v.get<uint64_t>();
  } else if (v.is_string()) {
    n = ParseSize(v.get_ref<const std::string&>());
  }
  if (!n || *n == 0) {
    w.Fail("must be a size in bytes above 0 (a number, or a string like \"10M\" or \"1G\"), got " +
           Describe(v));
  }
  return *n;
}

uint64_t AsAge(const Json& v, const Where& w) {
  std::optional<uint64_t> n;
  if (v.is_number_unsigned()) {
    n = v.get<uint64_t>();
  } else if (v.is_string()) {
    n = ParseAge(v.get_ref<const std::string&>());
  }
  if (!n || *n == 0) {
    w.Fail("must be a time above 0 (seconds, or a string like \"7d\", \"12h\" or \"30m\"), got " +
           Describe(v));
  }
  return *n;
}

// Why an entry with these "platform" and "version" keys does not run here, or "" when it does.
// Both are checked for their syntax either way.
std::string SkipReason(const Json& obj, const Where& w) {
  std::string reason;
  if (const auto it = obj.find("platform"); it != obj.end()) {
    const std::string& platform = AsString(*it, w.Child("platform"));
    if (!PlatformRunsHere(platform)) {
      reason = "platform \"" + Printable(platform) + "\" is not linux, posix, all or any";
    }
  }
  if (const auto it = obj.find("version"); it != obj.end()) {
    const std::string& text = AsString(*it, w.Child("version"));
    const auto version = ParseVersion(text);
    if (!version) w.Child("version").Fail("must be a version like \"1.4.5\", got " + Describe(*it));
    if (reason.empty() && VersionNewer(*version, *ParseVersion(kOsqueryCompatVersion))) {
      reason = "needs osquery " + text + ", newer than the " + std::string(kOsqueryCompatVersion) +
               " whose format procaudit implements";
    }
  }
  return reason;
}

// --- Files ----------------------------------------------------------------------------------

// Comments can make a file larger than the 1 MiB osquery allows without them; beyond this it
// is not a config.
constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

std::optional<std::string> ReadConfigFile(const std::string& path, std::string& error) {
  // O_NONBLOCK: a FIFO named as a pack must not hang the start.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!fd.valid() || fstat(fd.get(), &st) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      error = "larger than 16 MiB";
      return std::nullopt;
    }
  }
}

// glob(3) reports unreadable directories through a plain function pointer.
thread_local std::string* glob_failure = nullptr;

int OnGlobError(const char* path, int err) {
  if (err == ENOENT || err == ENOTDIR) return 0;  // nothing there: the glob matches nothing
  if (glob_failure) *glob_failure = std::string(path) + ": " + std::strerror(err);
  return 1;
}

bool IsGlob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// --- The walk -------------------------------------------------------------------------------

struct PackContext {
  std::string name;  // "" for the top-level schedule
  std::vector<std::string> discovery;
  bool runs = true;  // false: skipped as a whole (noted once), its queries only checked
};

class ConfigLoader {
 public:
  explicit ConfigLoader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  DaemonConfig Load(std::string_view text, const std::string& origin) {
    const Where top{origin, ""};
    const Json doc = ParseDocument(text, origin);
    if (!doc.is_object()) top.Fail("the config must be a JSON object, got " + Describe(doc));
    // Options first: pack_delimiter and schedule_default_interval shape the queries below.
    if (const auto it = doc.find("options"); it != doc.end()) {
      ReadOptions(*it, top.Child("options"));
    }
    for (const auto& [key, value] : doc.items()) {
      const Where w = top.Child(key);
      if (key == "options") continue;
      if (key == "schedule") {
        ReadSchedule(value, w);
      } else if (key == "packs") {
        ReadPacks(value, w);
      } else if (const IgnoredKey* ignored = FindIgnored("config", key)) {
        Note(w, "ignored: " + std::string(ignored->why));
      } else {
        w.FailUnknown({"options", "schedule", "packs"});
      }
    }
    if (config_.queries.empty()) Note(top, "no query runs on this host");
    return std::move(config_);
  }

 private:
  static Json ParseDocument(std::string_view text, const std::string& file) {
    std::string error;
    auto doc = ParseOsqueryJson(text, error);
    if (!doc) throw ConfigError{Printable(file) + ": " + error};
    return std::move(*doc);
  }

  void Note(const Where& w, const std::string& what) { config_.notes.push_back(w.Prefix() + what); }

  void ReadOptions(const Json& options, const Where& w) {
    if (!options.is_object()) w.Fail("must be an object, got " + Describe(options));
    DaemonSettings& s = config_.settings;
    for (const auto& [key, value] : options.items()) {
      const Where at = w.Child(key);
      if (key == "logger_path") {
        s.logger_path = AsNonEmptyString(value, at);
      } else if (key == "logger_plugin") {
        const std::string& plugin = AsString(value, at);
        if (plugin != "filesystem" && plugin != "syslog") {
          at.Fail("must be filesystem or syslog (procaudit writes to one of them), got " +
                  Describe(value));
        }
        s.logger_plugin = plugin;
      } else if (key == "host_identifier") {
        const std::string& id = AsString(value, at);
        if (id != "hostname" && id != "specified") {
          at.Fail(
              "must be hostname or specified (procaudit has no uuid, instance or ephemeral "
              "identifier), got " +
              Describe(value));
        }
        s.host_identifier = id;
      } else if (key == "specified_identifier") {
        s.specified_identifier = AsNonEmptyString(value, at);
      } else if (key == "logger_rotate_size") {
        s.logger_rotate_size = AsSize(value, at);
      } else if (key == "logger_rotate_max_files") {
        s.logger_rotate_max_files = AsBoundedCount(value, at, 1, 1000, " files");
      } else if (key == "pack_delimiter") {
        s.pack_delimiter = AsNonEmptyString(value, at);
      } else if (key == "schedule_default_interval") {
        default_interval_ = AsInterval(value, at);
      } else if (key == "store_path") {
        s.store_path = AsNonEmptyString(value, at);
      } else if (key == "store_max_age") {
        s.store_max_age_s = AsAge(value, at);
      } else if (key == "store_max_bytes") {
        s.store_max_bytes = AsSize(value, at);
      } else if (const IgnoredKey* ignored = FindIgnored("options", key)) {
        Note(at, "ignored: " + std::string(ignored->why));
      } else {
        at.FailUnknown({"logger_path", "logger_plugin", "logger_rotate_size",
                        "logger_rotate_max_files", "host_identifier", "specified_identifier",
                        "pack_delimiter", "schedule_default_interval", "store_path",
                        "store_max_age", "store_max_bytes"});
      }
    }
    if (s.host_identifier == "specified" && !s.specified_identifier) {
      w.Child("host_identifier").Fail("is \"specified\" but specified_identifier is not set");
    }
  }

  void ReadSchedule(const Json& schedule, const Where& w) {
    if (!schedule.is_object()) w.Fail("must be an object of queries, got " + Describe(schedule));
    const PackContext main;
    for (const auto& [name, query] : schedule.items()) ReadQuery(name, query, w, main);
  }

  void ReadPacks(const Json& packs, const Where& w) {
    if (!packs.is_object()) w.Fail("must be an object of packs, got " + Describe(packs));
    for (const auto& [name, pack] : packs.items()) {
      const Where at = w.Child(name);
      if (pack.is_object()) {
        ReadPack(name, pack, at);
      } else if (pack.is_string() && IsGlob(pack.get_ref<const std::string&>())) {
        LoadPackGlob(pack.get<std::string>(), at);
      } else if (pack.is_string()) {
        LoadPackFile(name, Resolve(pack.get<std::string>(), at), at);
      } else {
        at.Fail("must be a pack (an object), a pack file or a glob of pack files, got " +
                Describe(pack));
      }
    }
  }

  std::string Resolve(const std::string& path, const Where& w) const {
    if (path.empty()) w.Fail("the pack file name is empty");
    if (base_dir_.empty()) w.Fail("pack files are not read for a config given as text");
    return path.front() == '/' ? path : base_dir_ + "/" + path;
  }

  void LoadPackGlob(const std::string& pattern, const Where& w) {
    const std::string resolved = Resolve(pattern, w);
    std::string failure;
    glob_failure = &failure;
    glob_t g{};
    // No GLOB_ERR: a missing directory on the way matches nothing; OnGlobError stops on others.
    const int rc = glob(resolved.c_str(), 0, OnGlobError, &g);
    glob_failure = nullptr;
    std::vector<std::string> files;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (rc == GLOB_NOMATCH || (rc == GLOB_ABORTED && failure.empty())) {
      Note(w, "the glob " + Printable(resolved) + " matches no file");
      return;
    }
    if (rc != 0) w.Fail("cannot expand " + Printable(resolved) + ": " + Printable(failure));
    for (const std::string& file : files) {
      LoadPackFile(std::filesystem::path(file).stem().string(), file, w);
    }
  }

  void LoadPackFile(const std::string& name, const std::string& path, const Where& named_at) {
    std::string error;
    const auto text = ReadConfigFile(path, error);
    if (!text) named_at.Fail("cannot read the pack " + Printable(path) + ": " + error);
    const Where top{path, ""};
    const Json pack = ParseDocument(*text, path);
    if (!pack.is_object()) top.Fail("a pack must be a JSON object, got " + Describe(pack));
    ReadPack(name, pack, top);
  }

  void ReadPack(const std::string& name, const Json& pack, const Where& w) {
    if (!pack.is_object()) w.Fail("must be a pack (an object), got " + Describe(pack));
    if (name.empty()) w.Fail("a pack name must not be empty");
    if (const auto [it, inserted] = packs_.emplace(name, w.Prefix()); !inserted) {
      // osquery would let the later pack replace the earlier one.
      w.Fail("the pack name \"" + Printable(name) + "\" is already used by " + Place(it->second));
    }
    PackContext context{name, {}, true};
    for (const auto& [key, value] : pack.items()) {
      if (key != "queries" && key != "platform" && key != "version" && key != "discovery") {
        w.Child(key).FailUnknown({"queries", "platform", "version", "discovery"});
      }
    }
    if (const auto it = pack.find("discovery"); it != pack.end()) {
      const Where at = w.Child("discovery");
      if (!it->is_array()) at.Fail("must be an array of queries, got " + Describe(*it));
      for (const Json& sql : *it) {
        if (!sql.is_string() || sql.get_ref<const std::string&>().empty()) {
          at.Fail("must hold queries as non-empty strings, got " + Describe(sql));
        }
        context.discovery.push_back(sql.get<std::string>());
      }
    }
    if (const std::string reason = SkipReason(pack, w); !reason.empty()) {
      Note(w, "pack " + Printable(name) + " skipped: " + reason);
      context.runs = false;
    }
    const auto queries = pack.find("queries");
    if (queries == pack.end()) {
      Note(w, "pack " + Printable(name) + " has no queries");
      return;
    }
    const Where at = w.Child("queries");
    if (!queries->is_object()) at.Fail("must be an object of queries, got " + Describe(*queries));
    for (const auto& [query_name, query] : queries->items()) {
      ReadQuery(query_name, query, at, context);
    }
  }

  void ReadQuery(const std::string& name, const Json& query, const Where& parent,
                 const PackContext& pack) {
    if (name.empty()) parent.Fail("a query name must not be empty");
    const Where w = parent.Child(name);
    if (!query.is_object()) w.Fail("must be a query (an object), got " + Describe(query));
    ScheduledQuery q;
    q.interval_s = default_interval_;
    std::vector<std::string> ignored_notes;
    for (const auto& [key, value] : query.items()) {
      const Where at = w.Child(key);
      if (key == "query") {
        q.sql = AsString(value, at);
        if (q.sql.find_first_not_of(" \t\r\n") == std::string::npos) at.Fail("must not be empty");
      } else if (key == "interval") {
        q.interval_s = AsInterval(value, at);
      } else if (key == "snapshot") {
        q.snapshot = AsBool(value, at);
      } else if (key == "removed") {
        q.removed = AsBool(value, at);
      } else if (key == "description") {
        q.description = AsString(value, at);
      } else if (key == "value") {
        q.value = AsString(value, at);
      } else if (key == "platform" || key == "version") {
        // SkipReason below.
      } else if (const IgnoredKey* ignored = FindIgnored("query", key)) {
        if (key == "denylist") AsBool(value, at);
        ignored_notes.push_back(at.Prefix() + "ignored: " + std::string(ignored->why));
      } else {
        at.FailUnknown({"query", "interval", "snapshot", "removed", "platform", "version",
                        "description", "value"});
      }
    }
    if (query.find("query") == query.end()) w.Fail("has no \"query\"");
    const std::string reason = SkipReason(query, w);
    if (!pack.runs) return;  // the pack's note covers its queries
    if (!reason.empty()) {
      Note(w, "skipped: " + reason);
      return;
    }
    for (std::string& note : ignored_notes) config_.notes.push_back(std::move(note));
    const std::string& delimiter = config_.settings.pack_delimiter.value_or("_");
    q.name = pack.name.empty() ? name : "pack" + delimiter + pack.name + delimiter + name;
    q.pack = pack.name;
    q.discovery = pack.discovery;
    q.origin = w.file;
    Add(std::move(q), w);
  }

  void Add(ScheduledQuery q, const Where& w) {
    const auto [it, inserted] = names_.emplace(q.name, w.Prefix());
    if (!inserted) {
      w.Fail("the query name \"" + Printable(q.name) + "\" is already used by " +
             Place(it->second));
    }
    config_.queries.push_back(std::move(q));
  }

  // A Where's prefix without its ": ", to name a place inside a message.
  static std::string Place(std::string prefix) {
    if (prefix.ends_with(": ")) prefix.resize(prefix.size() - 2);
    return prefix;
  }

  std::string base_dir_;
  DaemonConfig config_;
  uint64_t default_interval_ = kDefaultIntervalSeconds;
  std::map<std::string, std::string> names_;  // query name -> where it was defined
  std::map<std::string, std::string> packs_;  // pack name -> where it was defined
};

std::optional<DaemonConfig> Parse(std::string_view text, const std::string& origin,
                                  const std::string& base_dir, std::string& error) {
  try {
    return ConfigLoader(base_dir).Load(text, origin);
  } catch (const ConfigError& e) {
    error = e.line;
  } catch (const std::exception& e) {
    // Not a config problem but a bug: still one line, and the daemon does not start.
    error = Printable(origin) + ": internal error: " + Printable(e.what());
  }
  return std::nullopt;
}

}  // namespace

std::optional<DaemonConfig> LoadDaemonConfig(const std::string& path, std::string& error) {
  const auto text = ReadConfigFile(path, error);
  if (!text) {
    error = Printable(path) + ": cannot read: " + error;
    return std::nullopt;
  }
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return Parse(*text, path, base_dir, error);
}

std::optional<DaemonConfig> ParseDaemonConfig(std::string_view text, const std::string& origin,
                                              const std::string& base_dir, std::string& error) {
  return Parse(text, origin, base_dir, error);
}

std::string ResolveHostIdentifier(const DaemonSettings& settings) {
  if (settings.host_identifier == "specified" && settings.specified_identifier) {
    return *settings.specified_identifier;
  }
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace procaudit::daemon

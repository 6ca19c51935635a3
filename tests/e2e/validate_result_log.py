"""Checks result-log files line by line against result_log.schema.json.

    /usr/bin/python3 validate_result_log.py FILE...

Each line must be one JSON object (UTF-8) that the schema accepts, with its keys in osquery's
order. Prints one line per problem and exits 1 if there was any; tests/unit/result_log_test.cc
runs it on the lines the formatter makes, and the daemon's end-to-end test on real logs.
"""
import json
import os
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "result_log.schema.json")

# osquery writes the fields in this order; readers that split lines by position rely on it.
DIFFERENTIAL_ORDER = ["name", "hostIdentifier", "calendarTime", "unixTime", "epoch", "counter",
                      "numerics", "columns", "action"]
SNAPSHOT_ORDER = ["snapshot", "action", "name", "hostIdentifier", "calendarTime", "unixTime",
                  "epoch", "counter", "numerics"]


def problems(path, validator):
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            where = f"{path}:{number}"
            try:
                line = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                yield f"{where}: not a JSON line: {e}"
                continue
            for error in validator.iter_errors(line):
                yield f"{where}: {error.message}"
            if isinstance(line, dict):
                order = SNAPSHOT_ORDER if "snapshot" in line else DIFFERENTIAL_ORDER
                if list(line) != order:
                    yield f"{where}: keys in the order {list(line)}, osquery's is {order}"


def main(paths):
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    found = 0
    for path in paths:
        for problem in problems(path, validator):
            print(problem)
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Validates vmsandbox JSON reports against docs/report.schema.json.

usage: python3 check_schema.py SCHEMA REPORT [REPORT...]

Prints every violation as "REPORT: path.to[3].field: message" and exits 1
if there is one, 0 if every report is valid, 2 when a file cannot be read
or the schema itself is not a valid JSON Schema, 3 without the jsonschema
module (Debian: python3-jsonschema, in scripts/install-deps.sh).
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_schema: the jsonschema module is missing: install python3-jsonschema "
          "(scripts/install-deps.sh)")
    sys.exit(3)


def where(path):
    out = ""
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "(top level)"


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip())
        return 2
    try:
        with open(sys.argv[1]) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("%s: not a valid schema: %s" % (sys.argv[1], e))
        return 2
    validator = jsonschema.Draft202012Validator(schema)
    status = 0
    for path in sys.argv[2:]:
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: %s" % (path, e))
            return 2
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
        for e in errors:
            print("%s: %s: %s" % (path, where(e.absolute_path), e.message[:300]))
        if errors:
            status = 1
        else:
            print("%s: valid" % path)
    return status


if __name__ == "__main__":
    sys.exit(main())

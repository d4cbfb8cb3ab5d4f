#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files and prints the one line
CI reads: 'N passed, N failed'.

Each test speaks TAP: every 'ok' line is a passed case, every 'not ok' line a
failed one ('# SKIP' cases are counted as skipped). A test that failed
(crash, timeout, sanitizer report, non-zero exit) beyond its TAP lines adds
one failed case, so a crash is never hidden behind earlier 'ok's.
"""
import json
import re
import sys

OK = re.compile(r'^\s*ok\b')
NOT_OK = re.compile(r'^\s*not ok\b')
SKIP = re.compile(r'#\s*skip', re.IGNORECASE)
TODO = re.compile(r'#\s*todo', re.IGNORECASE)


def count(log_path, label, totals, failures):
    with open(log_path) as log:
        for line in log:
            record = json.loads(line)
            passed = failed = skipped = 0
            for out in (record.get('stdout') or '').splitlines():
                if NOT_OK.match(out):
                    if TODO.search(out):
                        continue
                    if SKIP.search(out):
                        # cmocka prints skipped cases as "not ok # SKIP".
                        skipped += 1
                        continue
                    failed += 1
                    failures.append(f'{label}{record["name"]}: {out.strip()}')
                elif OK.match(out):
                    if SKIP.search(out):
                        skipped += 1
                    else:
                        passed += 1
            result = record.get('result')
            # meson calls a TAP test with "not ok # SKIP" lines FAIL even
            # when it exited 0; a crash or a real failure exits non-zero.
            if (result == 'FAIL' and record.get('returncode') == 0
                    and failed == 0 and skipped):
                result = 'OK'
            if result in ('FAIL', 'TIMEOUT', 'ERROR', 'UNEXPECTEDPASS') and failed == 0:
                failed += 1
                failures.append(f'{label}{record["name"]}: {result} '
                                f'(exit {record.get("returncode")})')
            if passed == failed == skipped == 0 and result in ('OK', 'EXPECTEDFAIL'):
                passed = 1  # a test with no TAP lines counts as one case
            if result == 'SKIP' and passed == failed == 0:
                skipped += 1
            totals[0] += passed
            totals[1] += failed
            totals[2] += skipped


def main():
    totals = [0, 0, 0]
    failures = []
    for arg in sys.argv[1:]:
        label, _, path = arg.rpartition('=')
        count(path, f'[{label}] ' if label else '', totals, failures)
    for failure in failures:
        print('FAILED', failure)
    line = f'{totals[0]} passed, {totals[1]} failed'
    if totals[2]:
        line += f', {totals[2]} skipped'
    print(line)
    return 1 if totals[1] or totals[0] == 0 else 0


if __name__ == '__main__':
    sys.exit(main())

"""benchlib: the parts of switch-bench that go beyond loom and testpmd.

switch-bench (the entry point) defines the traffic cases and the loom and
testpmd contenders; this package adds the Open vSwitch contender (ovs.py),
the loom-only scaling cases (scaling.py) and the run itself: interleaved
rounds, the table with medians, min-max and the ratio Loom/OVS, the JSON
file, and stopping everything on SIGINT/SIGTERM. switch-bench calls
hook(itself) once its tables exist and run(args, itself) from main().
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile


class Unsupported(Exception):
    """A contender cannot run a case: the table shows '-' and says why."""


# ---- threads and processes (the same measure for every contender) ----------

def on_cpu_ns(pid, tid):
    with open('/proc/%d/task/%d/schedstat' % (pid, tid)) as stat:
        return int(stat.read().split()[0])


def find_threads(pid, name_pattern):
    found = []
    for tid in sorted(os.listdir('/proc/%d/task' % pid), key=int):
        try:
            with open('/proc/%d/task/%s/comm' % (pid, tid)) as comm:
                if re.match(name_pattern, comm.read().strip()):
                    found.append(int(tid))
        except OSError:
            pass
    return found


def find_thread(pid, name_pattern):
    found = find_threads(pid, name_pattern)
    return found[0] if found else None


def stop_process(process, timeout=20):
    """SIGTERM, then SIGKILL after `timeout` seconds; reaps it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ignore_signals():
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


def _terminate(signum, frame):
    # Unwinds through every try/finally, which stop what was started; a
    # second signal must not cut that cleanup short.
    _ignore_signals()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def stop_on_signals():
    """SIGINT, SIGTERM and SIGHUP end the run by unwinding, so every
    contender's finally stops its processes (by PID) and removes its
    namespaces and files."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)


# ---- hooking into switch-bench --------------------------------------------------

def hook(bench):
    """Adds the ovs contender and the scaling cases to switch-bench's
    tables (CASES, CONTENDERS of the module `bench`)."""
    from . import scaling
    bench.CONTENDERS['ovs'] = lambda a, w, c: ovs_round(bench, a, w, c)
    for name in scaling.CASES:
        bench.CASES[name] = scaling.CASES[name]


def ovs_round(bench, args, workdir, case):
    from . import ovs
    built = bench.CASES[case](workdir)
    source = os.path.join(workdir, case + '.pcap')
    bench.write_pcap(source, built[0])
    return ovs.run(args, workdir, case, built, source, bench.tsc_hz_guess)


# ---- the run ----------------------------------------------------------------

def _contenders_for(case, wanted):
    from . import scaling
    if case in scaling.CASES:
        return ['loom'] if 'loom' in wanted else []
    return wanted




def _scaling_rounds(bench, args, workdir, case, skipped):
    from . import scaling
    try:
        values = scaling.run(bench, args, workdir, case, args.rounds)
    except Unsupported as why:
        skipped[(case, 'loom')] = str(why)
        print('%-11s %-16s skipped: %s' % (case, 'loom', why), flush=True)
        return []
    for r, (mpps, cycles) in enumerate(values):
        print('%-11s round %d %-16s %7.2f Mpps %8.1f cycles/packet'
              % (case, r + 1, 'loom', mpps, cycles), flush=True)
    return values


def run(args, bench):
    """Every case, rounds interleaved (contender A B C D, A B C D, ...);
    prints each round, then the table; writes --json."""
    stop_on_signals()
    wanted = args.contenders.split(',')
    for contender in wanted:
        if contender not in bench.CONTENDERS:
            sys.exit('switch-bench: unknown contender %s' % contender)
    cases = args.cases.split(',')
    for case in cases:
        if case not in bench.CASES:
            sys.exit('switch-bench: unknown case %s' % case)
    results, skipped = [], {}
    workdir = tempfile.mkdtemp(prefix='loom-bench-')
    try:
        _run_cases(bench, args, workdir, cases, wanted, results, skipped)
    except KeyboardInterrupt:
        sys.exit('switch-bench: interrupted (everything started is stopped)')
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, skipped)
    if args.json:
        with open(args.json, 'w') as out:
            json.dump([{k: r[k] for k in ('case', 'contender', 'mpps',
                                            'cycles_per_packet', 'rounds')}
                       for r in results], out, indent=2)
            out.write('\n')


def _run_cases(bench, args, workdir, cases, wanted, results, skipped):
    from . import scaling
    for case in cases:
        contenders = _contenders_for(case, wanted)
        samples = {c: [] for c in contenders}
        if case in scaling.CASES and contenders:
            samples['loom'] = _scaling_rounds(bench, args, workdir, case,
                                              skipped)
            contenders = []
        for r in range(args.rounds):
            for contender in contenders:
                if (case, contender) in skipped:
                    continue
                try:
                    mpps, cycles = bench.CONTENDERS[contender](
                        args, workdir, case)
                except Unsupported as why:
                    skipped[(case, contender)] = str(why)
                    print('%-11s %-16s skipped: %s' % (case, contender, why),
                          flush=True)
                    continue
                except SystemExit as why:
                    # A contender that could not run (it exits with a
                    # message) fails its round, not the whole run; a
                    # signal's exit (a number) still ends the run.
                    if not isinstance(why.code, str):
                        raise
                    reason = 'failed: ' + why.code.strip().splitlines()[0]
                    skipped[(case, contender)] = reason
                    print('%-11s %-16s %s' % (case, contender, reason),
                          flush=True)
                    continue
                samples[contender].append((mpps, cycles))
                print('%-11s round %d %-16s %7.2f Mpps %8.1f cycles/packet'
                      % (case, r + 1, contender, mpps, cycles), flush=True)
        for contender, values in samples.items():
            if values:
                results.append(_summary(case, contender, values))


def _summary(case, contender, values):
    mpps = [v[0] for v in values]
    cycles = [v[1] for v in values]
    return {'case': case, 'contender': contender,
            'mpps': statistics.median(mpps),
            'cycles_per_packet': statistics.median(cycles),
            'rounds': len(values),
            'mpps_min': min(mpps), 'mpps_max': max(mpps),
            'cycles_min': min(cycles), 'cycles_max': max(cycles)}


def print_table(results, skipped=None):
    """Medians, min-max, and on loom's rows the ratio Loom/OVS (Mpps and
    cycles per packet; > 1 Mpps and < 1 cycles mean Loom is ahead)."""
    ovs = {r['case']: r for r in results if r['contender'] == 'ovs'}
    print()
    print('%-11s %-16s %8s %15s %9s %15s %10s %11s' % (
        'case', 'contender', 'Mpps', 'Mpps min-max', 'cyc/pkt',
        'cyc/pkt min-max', 'Loom/OVS', 'Loom/OVS'))
    print('%-11s %-16s %8s %15s %9s %15s %10s %11s' % (
        '', '', '(median)', '', '(median)', '', 'Mpps', 'cyc/pkt'))
    for r in results:
        ratio = ['', '']
        peer = ovs.get(r['case'])
        if r['contender'] == 'loom' and peer:
            ratio = ['%.2f' % (r['mpps'] / peer['mpps']) if peer['mpps'] else '-',
                     '%.2f' % (r['cycles_per_packet'] / peer['cycles_per_packet'])
                     if peer['cycles_per_packet'] else '-']
        print('%-11s %-16s %8.2f %15s %9.1f %15s %10s %11s' % (
            r['case'], r['contender'], r['mpps'],
            '%.2f-%.2f' % (r['mpps_min'], r['mpps_max']),
            r['cycles_per_packet'],
            '%.1f-%.1f' % (r['cycles_min'], r['cycles_max']),
            ratio[0], ratio[1]))
    for (case, contender), why in sorted((skipped or {}).items()):
        print('%-11s %-16s %8s  skipped: %s' % (case, contender, '-', why))

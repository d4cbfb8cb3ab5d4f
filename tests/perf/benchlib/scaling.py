"""Scaling cases of switch-bench, loom-switch only.

Same arrangement as the other cases (a net_pcap source replaying 64-byte
frames forever into a net_null sink, counted on the sink, cycles from the
workers' on-CPU time), with one dimension pushed:

- fdb-1k, fdb-64k, fdb-1m: the source frames go to that many distinct
  destination MACs (one frame each, 8 source MACs), all of them in the
  FDB before the window (static MACs in the configuration: loading a
  million takes seconds, a million fdb-learn calls would take minutes);
  fdb.capacity is twice the count. The pcap PMD keeps every frame of the
  file in an mbuf, so the mbuf pool and EAL memory grow with the count.
- bd-10, bd-1000, bd-4094: that many bridge domains, BD v = {(in, VID v),
  (out, VID v)} on two trunks carrying VIDs 1..N; the frames are spread
  evenly over the VIDs (at least one per BD, 64 at least in all), each to
  a MAC known (static) on the out member of its BD.
- workers-1, workers-2: l2 with 1 or 2 worker lcores; the source port has
  one rx queue per worker (a net_pcap port with one rx_pcap per queue),
  Mpps is the sum, cycles per packet count every worker's on-CPU time.
  Two forwarding lcores on one CPU collapse throughput, so each worker
  gets a CPU of its own: --worker-cpu, then the other CPUs, the control
  lcore's CPU last (the main lcore sleeps: sharing a CPU with it is fine).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import time

from . import Unsupported, on_cpu_ns, stop_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'scripts'))
from pcapgen import udp_frame, mac  # noqa: E402

MBUF_BYTES = 2368  # datapath/switch_config.h: memory_mb >= mbufs x 2368


def indexed_mac(prefix, i):
    return '02:%02x:%02x:%02x:%02x:%02x' % (prefix, (i >> 24) & 0xff,
                                             (i >> 16) & 0xff, (i >> 8) & 0xff,
                                             i & 0xff)


def src_mac(i):
    return '02:00:00:00:01:%02x' % (i % 8)


def write_pcap_fast(path, frames):
    """pcapgen.write_pcap for a million frames (one write call)."""
    parts = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for i, frame in enumerate(frames):
        parts.append(struct.pack('<IIII', 1 + i // 1000000, i % 1000000,
                                 len(frame), len(frame)))
        parts.append(frame)
    with open(path, 'wb') as out:
        out.write(b''.join(parts))


class Spec:
    """What a scaling case asks of loom-switch."""

    def __init__(self, frames, bridge_domains, ports=None, workers=1,
                 fdb_capacity=65536, learn=()):
        self.frames = frames
        self.learn = learn  # fdb-learn requests (lines), sent before the window
        self.bridge_domains = bridge_domains
        self.ports = ports or {}
        self.workers = workers
        self.fdb_capacity = fdb_capacity


def fdb_case(count):
    def case(workdir):
        template = udp_frame(indexed_mac(0x10, 0), src_mac(0), 0)[12:]
        sources = [mac(src_mac(i)) for i in range(8)]
        frames, learned = [], []
        for i in range(count):
            dst = b'\x02\x10' + i.to_bytes(4, 'big')
            frames.append(dst + sources[i % 8] + template)
            learned.append(b'{"command": "fdb-learn", "bd": "bench", '
                           b'"port": "out", "mac": "%s"}\n'
                           % dst.hex(':').encode())
        bds = [{'name': 'bench', 'members': [{'port': 'in'}, {'port': 'out'}]}]
        capacity = 1 << max(16, (2 * count - 1).bit_length())
        return Spec(frames, bds, fdb_capacity=capacity, learn=learned)
    case.__doc__ = 'FDB with %d MACs, every frame to another one' % count
    return case


def bd_case(count):
    def case(workdir):
        per_bd = max(1, 64 // count)
        frames, bds = [], []
        for v in range(1, count + 1):
            static = []
            for k in range(per_bd):
                i = (v - 1) * per_bd + k
                dst = indexed_mac(0x20, i)
                frames.append(udp_frame(dst, src_mac(i), i % 8,
                                        tags=[(0x8100, v)]))
                static.append({'mac': dst, 'port': 'out', 'vid': v})
            bds.append({'name': 'bd%d' % v,
                        'members': [{'port': 'in', 'vid': v},
                                    {'port': 'out', 'vid': v}],
                        'static_macs': static})
        allowed = '1-%d' % count if count > 1 else '1'
        ports = {'in': {'mode': 'trunk', 'allowed': allowed},
                 'out': {'mode': 'trunk', 'allowed': allowed}}
        # Spread: VIDs interleaved in the file, not one BD after another.
        order = sorted(range(len(frames)),
                       key=lambda j: (j % per_bd, j // per_bd))
        return Spec([frames[j] for j in order], bds, ports)
    case.__doc__ = '%d bridge domains, traffic spread over them' % count
    return case


def workers_case(count):
    def case(workdir):
        frames = [udp_frame('02:00:00:00:02:%02x' % i, src_mac(i), i)
                  for i in range(8)]
        static = [{'mac': '02:00:00:00:02:%02x' % i, 'port': 'out'}
                  for i in range(8)]
        bds = [{'name': 'bench', 'members': [{'port': 'in'}, {'port': 'out'}],
                'static_macs': static}]
        return Spec(frames, bds, workers=count)
    case.__doc__ = 'l2 with %d worker lcores' % count
    return case


CASES = {
    'fdb-1k': fdb_case(1000), 'fdb-64k': fdb_case(64000),
    'fdb-1m': fdb_case(1000000),
    'bd-10': bd_case(10), 'bd-1000': bd_case(1000), 'bd-4094': bd_case(4094),
    'workers-1': workers_case(1), 'workers-2': workers_case(2),
}

_specs = {}  # case -> (Spec, pcap path): built once per run, not per round


def _spec(workdir, case):
    if case not in _specs:
        spec = CASES[case](workdir)
        source = os.path.join(workdir, 'scaling-%s.pcap' % case)
        write_pcap_fast(source, spec.frames)
        _specs[case] = (spec, source)
    return _specs[case]


def learn(client, entries, window=1024):
    """Every fdb-learn request line of `entries`, pipelined (`window` requests in flight:
    one round trip each would take minutes for a million); every answer
    must be "learned" or "unchanged"."""
    entries = list(entries)
    results = {}
    for start in range(0, len(entries), window):
        chunk = entries[start:start + window]
        client.sock.sendall(b''.join(chunk))
        while client.buffer.count(b'\n') < len(chunk):
            data = client.sock.recv(1 << 20)
            if not data:
                raise RuntimeError('switch closed the control socket')
            client.buffer += data
        lines = client.buffer.split(b'\n')
        client.buffer = b'\n'.join(lines[len(chunk):])
        for line in lines[:len(chunk)]:
            reply = json.loads(line)
            if not reply.get('ok'):
                raise RuntimeError('fdb-learn: %s' % reply.get('error'))
            results[reply['result']] = results.get(reply['result'], 0) + 1
    refused = {k: v for k, v in results.items()
               if k not in ('learned', 'unchanged')}
    if refused:
        raise RuntimeError('fdb-learn refused: %s' % refused)


def _lcores(args, workers):
    """The control lcore, then one lcore per worker, each worker on a CPU
    of its own (--worker-cpu first). With enough CPUs an EAL -l core list;
    with too few (2 workers on 2 CPUs) the main lcore has to share the
    control CPU with a worker, which only EAL's --lcores form can say
    ("0@0,1@1,2@0")."""
    cpus = sorted(os.sched_getaffinity(0))
    order = [args.worker_cpu] + [c for c in cpus if c not in
                                 (args.worker_cpu, args.control_cpu)]
    if len(order) >= workers:
        return ','.join(str(c) for c in [args.control_cpu] + order[:workers])
    order.append(args.control_cpu)
    if len(order) < workers:
        raise Unsupported('%d workers need %d CPUs; this machine has %d'
                          % (workers, workers, len(cpus)))
    placed = [args.control_cpu] + order[:workers]
    return ','.join('%d@%d' % (lcore, cpu) for lcore, cpu in enumerate(placed))


def _check(args, config_path):
    """loom-switch --check; a refusal of the lcores form is Unsupported."""
    result = subprocess.run(
        [os.path.join(args.build, 'datapath', 'loom-switch'), '--check',
         config_path], capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        if 'lcores' in message:
            raise Unsupported(
                'two workers apart on this machine need the main lcore to '
                'share a CPU, which eal.lcores cannot say yet (it takes an '
                'EAL -l core list): %s' % message[message.find('eal.lcores'):])
        raise RuntimeError('loom-switch --check: ' + message)


def run(bench, args, workdir, case, rounds):
    """`rounds` measurements of a scaling case, [(Mpps, cycles/packet)]:
    one loom-switch per case (learning a million MACs takes ~20 s here),
    the rounds are consecutive windows after one warm-up."""
    spec, source = _spec(workdir, case)
    lcores = _lcores(args, spec.workers)
    prefix = 'bench-loom-%s-%d' % (case, os.getpid())
    sock = os.path.join(workdir, 'loom-scaling.sock')
    mbufs = max(8191, len(spec.frames) * spec.workers + 16384)
    # Twice the pool (found by trying: a pool of a million mbufs is not
    # created in 1.25 times its size with --no-huge, it is in 2 times),
    # the FDB, and what the switch needs anyway. Untouched memory costs
    # nothing.
    memory_mb = max(512, mbufs * MBUF_BYTES * 2 // (1 << 20) + 256 +
                    spec.fdb_capacity * 64 // (1 << 20))
    devargs = 'net_pcap0,%sinfinite_rx=1' % ''.join(
        'rx_pcap=%s,' % source for _ in range(spec.workers))
    config = {
        'eal': {'file_prefix': prefix, 'memory_mb': memory_mb,
                'lcores': lcores},
        'datapath': {'workers': spec.workers, 'idle_sleep_max_us': 0,
                     'mbufs': mbufs},
        'control': {'socket': sock},
        'fdb': {'age_seconds': 0, 'capacity': spec.fdb_capacity},
        'ports': [{'name': 'in', 'devargs': devargs,
                   'rx_queues': spec.workers},
                  {'name': 'out', 'devargs': 'net_null0,no-rx=1'}],
        'bridge_domains': spec.bridge_domains,
    }
    for port in config['ports']:
        if port['name'] in spec.ports:
            port['vlan'] = spec.ports[port['name']]
    config_path = os.path.join(workdir, 'loom-scaling.yaml')
    with open(config_path, 'w') as out:
        json.dump(config, out)  # JSON is YAML
    _check(args, config_path)
    log_path = os.path.join(workdir, 'loom-scaling.log')
    log = open(log_path, 'w')
    process = None
    try:
        started = time.time()
        process = subprocess.Popen(
            [os.path.join(args.build, 'datapath', 'loom-switch'), '--quiet',
             '--config', config_path], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not os.path.exists(sock) and process.poll() is None \
                and time.time() < deadline:
            time.sleep(0.05)
        try:
            client = bench.SwitchClient(sock, timeout=1)
        except OSError:
            log.flush()
            with open(log_path) as text:
                raise RuntimeError('loom-switch did not start:\n' + text.read())
        up = time.time()
        learn(client, spec.learn)
        if os.environ.get('SWITCH_BENCH_VERBOSE'):
            print('  %s: loom-switch up in %.1f s, %d fdb-learn in %.1f s'
                  % (case, up - started, len(spec.learn), time.time() - up),
                  file=sys.stderr)
        workers = client.call('workers')
        tsc_hz = workers[0]['tsc_hz']
        tids = [w['tid'] for w in workers]

        def packets_now():
            for port in client.call('show-ports'):
                if port['name'] == 'out':
                    return port['counters']['tx_packets']
            return 0

        def flooded_now():
            return sum(bd['counters']['flooded']
                       for bd in client.call('show-bridge-domains'))

        def drops_now():
            return client.call('counters')['drops']

        time.sleep(args.warmup)
        results = []
        for _ in range(rounds):
            flooded0, drops0 = flooded_now(), drops_now()
            cpu0 = sum(on_cpu_ns(process.pid, t) for t in tids)
            packets0, t0 = packets_now(), time.time()
            time.sleep(args.seconds)
            cpu1 = sum(on_cpu_ns(process.pid, t) for t in tids)
            packets1, t1 = packets_now(), time.time()
            flooded = flooded_now() - flooded0
            drops = {k: v - drops0.get(k, 0) for k, v in drops_now().items()
                     if v - drops0.get(k, 0)}
            if flooded:
                print('  note: loom flooded %d frames while measured' % flooded,
                      file=sys.stderr)
            if drops:
                print('  note: loom drops %s' % drops, file=sys.stderr)
            packets = packets1 - packets0
            results.append((packets / (t1 - t0) / 1e6,
                            (cpu1 - cpu0) / 1e9 * tsc_hz / max(packets, 1)))
        client.close()
        return results
    finally:
        if process is not None:
            stop_process(process)
        log.close()
        shutil.rmtree('/var/run/dpdk/' + prefix, ignore_errors=True)

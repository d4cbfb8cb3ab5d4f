"""The Open vSwitch (DPDK) contender of switch-bench.

Debian's openvswitch-switch-dpdk (OVS 3.1, DPDK 22.11), started by hand for
each round: ovsdb-server and ovs-vswitchd-dpdk in a network namespace of
their own, with private run/db/log/etc directories and DPDK file prefix, so
nothing of a system OVS is touched and nothing is left behind. How it runs
here was found by trying (issue 8):

- EAL: dpdk-extra "--no-huge --legacy-mem -m 1024 --no-pci --file-prefix P"
  (without --legacy-mem, OVS 3.1 adds --in-memory, which fails with
  --no-huge); one PMD thread on the CPU the other contenders forward on
  (pmd-cpu-mask), the main thread on the control CPU (dpdk-lcore-mask).
- Ports: type=dpdk with dpdk-devargs net_pcap (rx_pcap=FILE, infinite_rx=1)
  as the source and net_null (no-rx=1) as the sink, exactly as loom-switch
  and testpmd get them.

The case is translated from loom-switch's own description of it (the
tuple a switch-bench case returns), so both run the same thing:

- one bridge domain -> one netdev bridge with the NORMAL action (MAC
  learning); loom's FDB priming (fdb-learn) becomes frames injected with
  `ovs-ofctl packet-out ... actions=NORMAL` whose source MAC is the primed
  MAC, "from" the member's port (tagged with the member's VID when that
  port is a trunk);
- port VLAN modes: access VID v -> tag=v, trunk allowed L -> trunks=L;
- a VTEP section -> OVS native tunnelling: the bridge domain is br-int with
  a vxlan port per (tunnel, VNI) (remote_ip, local_ip, key), the VTEP's
  port sits on br-phy whose internal interface holds the VTEP address in
  the namespace and the VTEP MAC (other-config:hwaddr), and the remote
  VTEP's MAC is given with `ovs-appctl tnl/neigh/set`;
- a policer on a member: "out" -> QoS egress-policer on that port (srTCM
  like loom's: cir = rate / 8 bytes/s, cbs = burst bytes), "in" ->
  ingress_policing_rate/burst (kbit/s, kbit). The policer case asks for
  100 Gbit/s out, so every frame passes and only the policer's cost shows.

Counted: tx packets of the sink port from `ovs-ofctl dump-ports` (read live
from the device, not the 5 s statistics column) at the window's start and
end; cycles from the PMD thread's (pmd-c*) on-CPU time x TSC Hz / packets.
"""
import os
import re
import shutil
import subprocess
import sys
import time

from . import Unsupported, on_cpu_ns, find_thread, stop_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'scripts'))
from pcapgen import vxlan_frame  # noqa: E402

VSWITCHD = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk'
SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
PACKAGE = 'openvswitch-switch-dpdk'


def ensure_installed():
    """Installs Debian's openvswitch-switch-dpdk when it is missing."""
    if os.path.exists(VSWITCHD) and shutil.which('ovs-vsctl'):
        return
    print('switch-bench: installing %s (apt-get)' % PACKAGE, file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'install', '-y', '--no-install-recommends',
                    PACKAGE], env=env, check=False)
    if not os.path.exists(VSWITCHD):
        subprocess.run(['apt-get', 'update'], env=env, check=False)
        subprocess.run(['apt-get', 'install', '-y', '--no-install-recommends',
                        PACKAGE], env=env, check=True)
    if not os.path.exists(VSWITCHD):
        raise Unsupported('%s did not install %s' % (PACKAGE, VSWITCHD))


class OvsDpdk:
    """One ovsdb-server + ovs-vswitchd-dpdk pair in its own namespace."""

    def __init__(self, workdir, tag, control_cpu, worker_cpu, memory_mb=1024):
        self.name = 'loom-bench-ovs-%d-%s' % (os.getpid(), tag)
        self.prefix = self.name
        self.base = os.path.join(workdir, 'ovs-' + tag)
        self.control_cpu = control_cpu
        self.worker_cpu = worker_cpu
        self.memory_mb = memory_mb
        self.dirs = {k: os.path.join(self.base, k)
                     for k in ('run', 'db', 'log', 'etc')}
        self.env = dict(os.environ, OVS_RUNDIR=self.dirs['run'],
                        OVS_DBDIR=self.dirs['db'], OVS_LOGDIR=self.dirs['log'],
                        OVS_SYSCONFDIR=self.dirs['etc'],
                        OVS_PKGDATADIR='/usr/share/openvswitch')
        self.db_socket = os.path.join(self.dirs['run'], 'db.sock')
        self.ovsdb = None
        self.vswitchd = None
        self.netns = False

    # -- processes --------------------------------------------------------

    def _tool(self, argv, check=True, timeout=60):
        result = subprocess.run(argv, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError('%s: %s' % (' '.join(argv[:3]),
                                           result.stderr.strip()))
        return result.stdout

    def vsctl(self, *args, wait=True):
        argv = ['ovs-vsctl', '--db=unix:' + self.db_socket, '--timeout=60']
        if not wait:
            argv.append('--no-wait')
        return self._tool(argv + list(args))

    def ofctl(self, *args):
        return self._tool(['ovs-ofctl'] + list(args))

    def appctl(self, *args):
        ctl = os.path.join(self.dirs['run'], 'ovs-vswitchd-dpdk.%d.ctl'
                           % self.vswitchd.pid)
        return self._tool(['ovs-appctl', '-t', ctl] + list(args))

    def in_netns(self, *argv):
        return self._tool(['ip', 'netns', 'exec', self.name] + list(argv))

    def _wait_for(self, path, process, what, timeout=30):
        deadline = time.time() + timeout
        while not os.path.exists(path):
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError('%s did not start (see %s)'
                                   % (what, self.dirs['log']))
            time.sleep(0.02)

    def start(self):
        for path in self.dirs.values():
            os.makedirs(path, exist_ok=True)
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)
        self.netns = True
        self.in_netns('ip', 'link', 'set', 'lo', 'up')
        db = os.path.join(self.dirs['db'], 'conf.db')
        self._tool(['ovsdb-tool', 'create', db, SCHEMA])
        # Neither daemon detaches: their PIDs are ours to stop.
        self.ovsdb = subprocess.Popen(
            ['ip', 'netns', 'exec', self.name, 'ovsdb-server', db,
             '--remote=punix:' + self.db_socket,
             '--pidfile=' + os.path.join(self.dirs['run'], 'ovsdb-server.pid'),
             '--log-file=' + os.path.join(self.dirs['log'], 'ovsdb-server.log'),
             '-vconsole:off'],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self._wait_for(self.db_socket, self.ovsdb, 'ovsdb-server')
        self.vsctl('init', wait=False)
        extra = ('--no-huge --legacy-mem -m %d --no-pci --file-prefix %s'
                 % (self.memory_mb, self.prefix))
        self.vsctl('set', 'Open_vSwitch', '.',
                   'other_config:dpdk-init=true',
                   'other_config:dpdk-extra=' + extra,
                   'other_config:dpdk-lcore-mask=0x%x' % (1 << self.control_cpu),
                   'other_config:pmd-cpu-mask=0x%x' % (1 << self.worker_cpu),
                   # Pools sized for the ports (~20k mbufs) rather than one
                   # shared 256k pool: like loom's (8k) and testpmd's (16k),
                   # and created in a fraction of a second, not 6 s.
                   'other_config:per-port-memory=true',
                   wait=False)
        self.vswitchd = subprocess.Popen(
            ['ip', 'netns', 'exec', self.name, VSWITCHD,
             'unix:' + self.db_socket,
             '--pidfile=' + os.path.join(self.dirs['run'], 'ovs-vswitchd.pid'),
             '--log-file=' + os.path.join(self.dirs['log'], 'ovs-vswitchd.log'),
             '-vconsole:off'],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        ctl = os.path.join(self.dirs['run'], 'ovs-vswitchd-dpdk.%d.ctl'
                           % self.vswitchd.pid)
        self._wait_for(ctl, self.vswitchd, 'ovs-vswitchd-dpdk')

    def log_text(self):
        try:
            with open(os.path.join(self.dirs['log'], 'ovs-vswitchd.log')) as f:
                return f.read()
        except OSError:
            return ''

    def tsc_hz(self):
        found = re.search(r'DPDK provided TSC frequency: (\d+) KHz',
                          self.log_text())
        return int(found.group(1)) * 1000 if found else None

    def pmd_thread(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            tid = find_thread(self.vswitchd.pid, r'pmd-c')
            if tid:
                return tid
            time.sleep(0.05)
        raise RuntimeError('ovs-vswitchd-dpdk has no PMD thread')

    def stop(self):
        """Stops what start() started, by PID, and removes every trace;
        safe to call more than once and after a partial start."""
        for process in (self.vswitchd, self.ovsdb):
            if process is not None:
                stop_process(process)
        self.vswitchd = self.ovsdb = None
        if self.netns:
            subprocess.run(['ip', 'netns', 'del', self.name],
                           stderr=subprocess.DEVNULL, check=False)
            self.netns = False
        shutil.rmtree('/var/run/dpdk/' + self.prefix, ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)


# ---- the case, translated ---------------------------------------------------

PCAP_PORT = 'net_pcap0,rx_pcap=%s,infinite_rx=1'
NULL_PORT = 'net_null0,no-rx=1'
UNKNOWN_MAC = '02:00:00:00:ff:fe'


def _mac_bytes(text):
    return bytes(int(b, 16) for b in text.split(':'))


def _prime_frame(src, vid=0):
    """A small frame from `src` to a MAC nobody has: NORMAL learns `src`
    on the in_port (and floods the frame, which is harmless)."""
    frame = _mac_bytes(UNKNOWN_MAC) + _mac_bytes(src)
    if vid:
        frame += bytes([0x81, 0x00, vid >> 8, vid & 0xff])
    frame += bytes([0x88, 0xb5])  # local experimental ethertype
    return (frame + bytes(60 - len(frame))).hex()


def _ipv4(text):
    return text.split('/')[0]


def _ipv4_tuple(text):
    return tuple(int(b) for b in _ipv4(text).split('.'))


def _trunk_list(allowed):
    out = []
    for part in str(allowed).split(','):
        if '-' in part:
            low, high = part.split('-')
            out.extend(range(int(low), int(high) + 1))
        elif part:
            out.append(int(part))
    return out


class Layout:
    """Where each loom port and tunnel member goes in OVS."""

    def __init__(self, source, built):
        frames, bridge_domains, prime, vlan, *rest = built
        vtep = rest[0] if rest else None
        if len(bridge_domains) != 1:
            raise Unsupported('OVS: only single-bridge-domain cases')
        self.bd = bridge_domains[0]
        self.prime = prime
        self.vlan = vlan
        self.vtep = vtep
        self.devargs = {'in': PCAP_PORT % source, 'out': NULL_PORT}
        # bridge -> [(port name, ofport)]
        self.bridges = {'br-int': []}
        self.ofport = {}
        self.bridge_of = {}
        self.tunnels = {}  # (remote, vni) -> port name
        for member in self.bd['members']:
            if 'tunnel' in member:
                if not vtep:
                    raise Unsupported('OVS: tunnel member without a VTEP')
                name = 'vxlan%d' % len(self.tunnels)
                self.tunnels[(member['tunnel'], member['vni'])] = name
                self._add('br-int', name)
            else:
                if member['port'] not in self.devargs:
                    raise Unsupported('OVS: port %s' % member['port'])
                if member.get('vid') and member['port'] not in vlan:
                    raise Unsupported('OVS: VID member on a hybrid port')
                self._add('br-int', member['port'])
        if vtep:
            self.bridges['br-phy'] = []
            self._add('br-phy', vtep['port'])
        self.sink = 'out'

    def _add(self, bridge, port):
        self.bridges[bridge].append(port)
        self.ofport[port] = len(self.ofport) + 1
        self.bridge_of[port] = bridge

    def configure(self, ovs):
        for bridge in self.bridges:
            args = ['add-br', bridge, '--', 'set', 'bridge', bridge,
                    'datapath_type=netdev',
                    'other_config:mac-table-size=65536']
            if bridge == 'br-phy' and self.vtep.get('mac'):
                args.append('other_config:hwaddr=%s' % self.vtep['mac'])
            ovs.vsctl(*args)
        for bridge, ports in self.bridges.items():
            args = []
            for port in ports:
                args += ['--', 'add-port', bridge, port, '--', 'set',
                         'Interface', port, 'ofport_request=%d'
                         % self.ofport[port]]
                if port in self.devargs:
                    args += ['type=dpdk',
                             'options:dpdk-devargs=%s' % self.devargs[port]]
                else:
                    remote, vni = next(k for k, v in self.tunnels.items()
                                       if v == port)
                    args += ['type=vxlan', 'options:remote_ip=%s' % remote,
                             'options:local_ip=%s' % _ipv4(self.vtep['address']),
                             'options:key=%d' % vni]
                    if self.vtep.get('udp_port', 4789) != 4789:
                        args.append('options:dst_port=%d'
                                    % self.vtep['udp_port'])
                mode = self.vlan.get(port)
                if mode and mode['mode'] == 'access':
                    args += ['--', 'set', 'Port', port, 'tag=%d' % mode['vid']]
                elif mode and mode['mode'] == 'trunk':
                    args += ['--', 'set', 'Port', port, 'trunks=%s'
                             % ','.join(map(str, _trunk_list(mode['allowed'])))]
                elif mode:
                    raise Unsupported('OVS: VLAN mode %s' % mode['mode'])
            if args:
                ovs.vsctl(*args[1:])
        for member in self.bd['members']:
            policer = member.get('policer')
            if not policer:
                continue
            port = member.get('port')
            if not port:
                raise Unsupported('OVS: policer on a tunnel member')
            if 'out' in policer:
                out = policer['out']
                ovs.vsctl('set', 'Port', port, 'qos=@q', '--', '--id=@q',
                          'create', 'QoS', 'type=egress-policer',
                          'other-config:cir=%d' % (out['rate'] // 8),
                          'other-config:cbs=%d' % out['burst'])
            if 'in' in policer:
                ingress = policer['in']
                ovs.vsctl('set', 'Interface', port,
                          'ingress_policing_rate=%d' % (ingress['rate'] // 1000),
                          'ingress_policing_burst=%d'
                          % (ingress['burst'] * 8 // 1000))
        if self.vtep:
            address = self.vtep['address']
            ovs.in_netns('ip', 'addr', 'add', address, 'dev', 'br-phy')
            ovs.in_netns('ip', 'link', 'set', 'br-phy', 'up')
            for route in self.vtep.get('routes', []):
                ovs.appctl('ovs/route/add', route['prefix'], 'br-phy',
                           route['next_hop'])
            for neighbour in self.vtep.get('neighbours', []):
                ovs.appctl('tnl/neigh/set', 'br-phy', neighbour['address'],
                           neighbour['mac'])
                # The underlay bridge learns where the remote VTEP is.
                if self.vtep['port'] == 'out':
                    self._packet_out(ovs, 'out', neighbour['mac'], 0)

    def _packet_out(self, ovs, port, mac, vid):
        ovs.ofctl('packet-out', self.bridge_of[port],
                  'in_port=%d packet=%s actions=NORMAL'
                  % (self.ofport[port], _prime_frame(mac, vid)))

    def _packet_out_tunnelled(self, ovs, remote, vni, mac):
        """A VXLAN frame from the remote VTEP into the underlay port: br-phy
        hands it to its own interface, OVS decapsulates it into br-int
        from the vxlan port, and NORMAL learns the inner source there (a
        packet-out "from" the vxlan port itself has no tunnel metadata, so
        OVS would not know which tunnel it came from)."""
        remote_mac = next((n['mac'] for n in self.vtep.get('neighbours', [])
                           if n['address'] == remote), UNKNOWN_MAC)
        inner = bytes.fromhex(_prime_frame(mac))
        frame = vxlan_frame(inner, vni, remote_mac, self.vtep['mac'],
                            _ipv4_tuple(remote),
                            _ipv4_tuple(self.vtep['address']))
        port = self.vtep['port']
        ovs.ofctl('packet-out', 'br-phy', 'in_port=%d packet=%s actions=NORMAL'
                  % (self.ofport[port], frame.hex()))

    def learn(self, ovs):
        """loom's fdb-learn priming, as frames NORMAL learns from."""
        for command, arguments in self.prime:
            if command != 'fdb-learn':
                raise Unsupported('OVS: priming with %s' % command)
            if 'tunnel' in arguments:
                self._packet_out_tunnelled(ovs, arguments['tunnel'],
                                           arguments['vni'], arguments['mac'])
                continue
            else:
                port = arguments['port']
            vid = arguments.get('vid', 0)
            mode = self.vlan.get(port)
            tagged = vid if mode and mode['mode'] == 'trunk' else 0
            self._packet_out(ovs, port, arguments['mac'], tagged)

    def learned(self, ovs):
        count = 0
        for bridge in self.bridges:
            count += len(ovs.appctl('fdb/show', bridge).splitlines()) - 1
        return count

    def sink_packets(self, ovs):
        text = ovs.ofctl('dump-ports', self.bridge_of[self.sink],
                         str(self.ofport[self.sink]))
        found = re.search(r'tx pkts=(\d+)', text)
        if not found:
            raise RuntimeError('OVS: no tx counter in %r' % text)
        return int(found.group(1))

    def port_counters(self, ovs):
        """tx packets of every port (to notice floods and drops)."""
        counters = {}
        for bridge in self.bridges:
            text = ovs.ofctl('dump-ports', bridge)
            for port, tx, drop in re.findall(
                    r'port\s+"?([\w.-]+)"?:.*?tx pkts=(\d+), bytes=\d+, '
                    r'drop=(\d+)', text, re.S):
                counters['%s/%s' % (bridge, port)] = (int(tx), int(drop))
        return counters


def run(args, workdir, case, built, source, tsc_hz_guess):
    """One OVS round of `case`: returns (Mpps, cycles per packet)."""
    ensure_installed()
    layout = Layout(source, built)
    ovs = OvsDpdk(workdir, case, args.control_cpu, args.worker_cpu)
    try:
        ovs.start()
        layout.configure(ovs)
        layout.learn(ovs)
        tid = ovs.pmd_thread()
        tsc_hz = ovs.tsc_hz() or tsc_hz_guess()
        time.sleep(args.warmup)
        before = layout.port_counters(ovs)
        cpu0, packets0, t0 = (on_cpu_ns(ovs.vswitchd.pid, tid),
                              layout.sink_packets(ovs), time.time())
        time.sleep(args.seconds)
        cpu1, packets1, t1 = (on_cpu_ns(ovs.vswitchd.pid, tid),
                              layout.sink_packets(ovs), time.time())
        after = layout.port_counters(ovs)
        packets = packets1 - packets0
        sink = '%s/%d' % (layout.bridge_of[layout.sink],
                          layout.ofport[layout.sink])
        others = {}
        for port in after:
            if port in before:
                sent = sum(after[port]) - sum(before[port])
                if port != sink and sent > packets // 100:
                    others[port] = sent
        if others:
            # A frame flooded to the bridge's own (down) interface counts
            # as a tx drop there.
            print('  note: OVS also sent or dropped %s while measured '
                  '(flooding?)' % others, file=sys.stderr)
        if packets <= 0:
            raise RuntimeError('OVS forwarded nothing (see %s)'
                               % ovs.dirs['log'])
        return (packets / (t1 - t0) / 1e6,
                (cpu1 - cpu0) / 1e9 * tsc_hz / packets)
    except Exception:
        if os.environ.get('SWITCH_BENCH_KEEP_OVS_LOG'):
            sys.stderr.write(ovs.log_text()[-4000:])
        raise
    finally:
        ovs.stop()



def run_vhost(args, workdir, vhost_bench):
    """The vhost-user case for OVS, as vhost-bench runs it for loom and
    testpmd: two vhost-user ports in one NORMAL bridge, in and out, whose
    guest ends are vhost-bench's traffic process (virtio_user clients of
    WORKDIR/in.sock and WORKDIR/out.sock). OVS is the vhost-user server
    (type=dpdkvhostuser: the sockets are made in its run directory, named
    after the ports, and linked from WORKDIR); the sink is counted on the
    datapath flows that output to it. `vhost_bench` is the
    vhost-bench module (start_traffic, wait_sockets, stop_traffic,
    note_traffic, and its switch-bench). Returns (Mpps, cycles/packet)."""
    ensure_installed()
    bench = vhost_bench.bench
    ovs = OvsDpdk(workdir, 'vhost', args.control_cpu, args.worker_cpu)
    traffic_prefix = 'bench-vhost-traffic-%d' % os.getpid()
    traffic = None
    try:
        ovs.start()
        ovs.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int',
                  'datapath_type=netdev')
        for ofport, port in enumerate(('in', 'out'), 1):
            ovs.vsctl('add-port', 'br-int', port, '--', 'set', 'Interface',
                      port, 'type=dpdkvhostuser', 'ofport_request=%d' % ofport)
            os.symlink(os.path.join(ovs.dirs['run'], port),
                       os.path.join(workdir, port + '.sock'))
        for i in range(bench.FLOWS):
            ovs.ofctl('packet-out', 'br-int', 'in_port=2 packet=%s '
                      'actions=NORMAL' % _prime_frame(bench.dst_mac(i)))
        vhost_bench.wait_sockets(workdir, ovs.vswitchd)
        traffic, traffic_stats = vhost_bench.start_traffic(args, workdir,
                                                           traffic_prefix)
        deadline = time.time() + 20
        while time.time() < deadline and any(
                ovs.vsctl('get', 'Interface', port, 'link_state').strip()
                != 'up' for port in ('in', 'out')):
            time.sleep(0.1)
        tid = ovs.pmd_thread()
        tsc_hz = ovs.tsc_hz() or bench.tsc_hz_guess()

        # OVS 3.1 has no statistics for these vhost-user ports ("could not
        # retrieve stats (Protocol error)": the vhost library's per-vring
        # stats are off), so the sink is counted on the datapath flows
        # whose action is output to it: packets handed to the out port
        # (a full guest ring would still drop some of them).
        out_port = re.search(r'port (\d+): out ',
                             ovs.appctl('dpctl/show')).group(1)

        def sink_packets():
            total = 0
            for packets, actions in re.findall(
                    r'packets:(\d+),.*actions:(\S+)',
                    ovs.appctl('dpctl/dump-flows')):
                if actions == out_port:
                    total += int(packets)
            return total

        time.sleep(args.warmup)
        cpu0, packets0, t0 = (on_cpu_ns(ovs.vswitchd.pid, tid),
                              sink_packets(), time.time())
        time.sleep(args.seconds)
        cpu1, packets1, t1 = (on_cpu_ns(ovs.vswitchd.pid, tid),
                              sink_packets(), time.time())
        vhost_bench.note_traffic(traffic_stats)
        packets = packets1 - packets0
        if packets <= 0:
            raise RuntimeError('OVS forwarded nothing (see %s)'
                               % ovs.dirs['log'])
        return (packets / (t1 - t0) / 1e6,
                (cpu1 - cpu0) / 1e9 * tsc_hz / packets)
    except Exception:
        if os.environ.get('SWITCH_BENCH_KEEP_OVS_LOG'):
            sys.stderr.write(ovs.log_text()[-6000:])
            try:
                with open(os.path.join(workdir, 'traffic.log')) as log:
                    sys.stderr.write(log.read()[-3000:])
            except OSError:
                pass
        raise
    finally:
        vhost_bench.stop_traffic(traffic, traffic_prefix)
        ovs.stop()

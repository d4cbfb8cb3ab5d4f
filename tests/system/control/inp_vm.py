#!/usr/bin/python3
"""System test: a VNet with a `vm` node. loom-inp gives the VM a vhost-user
port on its substrate node's loom-switch and describes how to attach QEMU;
a stand-in guest (tests/system/vhost/vhost-guest: a DPDK process with a
net_virtio_user port, the virtio ring a QEMU guest drives, answering ARP and
ping) attaches to the socket the manifest names, and a `host` node of the
same VNet, two substrate hops away, pings it.
Needs root; prints "1..0 # SKIP" otherwise."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inp_slices import (Api, BUILD, SOURCE, check, diag, ping, results,  # noqa: E402
                        run, work_directory_remove)

PREFIX = "tiv"

REQUEST = """<?xml version="1.0"?>
<vnet xmlns="urn:loom:vnet:1" name="with-vm">
  <node id="vm1" kind="vm" cpu="2" memory="256" image="debian-12">
    <placement><substrate-node id="paris-1"/></placement>
    <interface id="vm1:eth0" mac="02:00:00:00:20:11">
      <ip address="198.18.20.11/24"/>
    </interface>
  </node>
  <node id="h1" kind="host" cpu="1">
    <placement><substrate-node id="marseille"/></placement>
    <interface id="h1:eth0"><ip address="198.18.20.1/24"/></interface>
  </node>
  <link id="lan" capacity="10000">
    <endpoint interface="vm1:eth0"/>
    <endpoint interface="h1:eth0"/>
  </link>
</vnet>
"""


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    lab_py = os.path.join(SOURCE, "scripts", "lab.py")
    inp = os.path.join(BUILD, "control", "loom-inp")
    guest = os.path.join(BUILD, "tests", "system", "vhost", "vhost-guest")
    for path in (lab_py, inp, guest):
        if not os.path.exists(path):
            print(f"1..0 # SKIP {path} missing")
            return 0
    print("1..6", flush=True)
    directory = tempfile.mkdtemp(prefix="loom-inp-vm.")
    vhost_directory = os.path.join(directory, "vhost")
    daemon = guest_process = None
    log = open(os.path.join(directory, "inp.log"), "w")
    try:
        up = run("/usr/bin/python3", lab_py, "up",
                 os.path.join(SOURCE, "topo", "examples", "lab5.yaml"),
                 "--prefix", PREFIX, "--dir", directory, "--build", BUILD,
                 timeout=180)
        if not check("lab is up", up.returncode == 0, up.stdout + up.stderr):
            return 1
        config = os.path.join(directory, "inp.yaml")
        daemon = subprocess.Popen([inp, "--config", config], stdout=log,
                                  stderr=log)
        url = open(os.path.join(directory, "url")).read().strip()
        time.sleep(0.5)
        operator = Api(url, open(os.path.join(
            directory, "operator.token")).read().strip())
        for _ in range(50):
            status, body = operator.call("POST", "/v1/tenants",
                                         {"name": "sp"})
            if status == 201:
                break
            time.sleep(0.1)
        sp = Api(url, body["token"])
        status, body = sp.call("POST", "/v1/vnets?wait=1", REQUEST,
                               "application/xml")
        if not check("the VNet with a VM is ready",
                     status == 201 and body.get("state") == "ready",
                     (status, body)):
            diag(open(os.path.join(directory, "inp.log")).read()[-3000:])
            return 1
        manifest = sp.call("GET", f"/v1/vnets/{body['id']}/manifest")[1]
        vm = next(n for n in manifest["nodes"] if n["id"] == "vm1")
        socket_path = vm["interfaces"][0].get("vhost_socket", "")
        check("the manifest gives the vhost-user socket and QEMU arguments",
              socket_path.startswith(vhost_directory) and
              os.path.exists(socket_path) and
              any(socket_path in a for a in vm.get("qemu_args", [])), vm)
        stats = os.path.join(directory, "guest.json")
        guest_process = subprocess.Popen(
            [guest, "--no-huge", "-m", "128", "--no-pci", "--file-prefix",
             f"{PREFIX}-guest", "--log-level=*:notice", "--",
             "--port", f"net_virtio_user0,path={socket_path},"
             "mac=02:00:00:00:20:11", "--ip", "198.18.20.11",
             "--stats", stats],
            stdout=log, stderr=log)
        connected = False
        for _ in range(100):
            try:
                connected = json.load(open(stats)).get("connected", False)
            except (OSError, ValueError):
                pass
            if connected:
                break
            time.sleep(0.1)
        check("the stand-in guest connects to its vhost-user port",
              connected)
        h1 = next(n for n in manifest["nodes"] if n["id"] == "h1")
        hops = len(manifest["links"][0]["hops"])
        diag(f"VM on {vm['substrate_node']}, host on {h1['substrate_node']}"
             f", {hops} hops")
        check("the host pings the VM through the switches",
              ping(h1["namespace"], "198.18.20.11", count=3))
        status, body = sp.call("DELETE", f"/v1/vnets/{manifest['id']}")
        time.sleep(1.5)
        check("after delete the vhost-user socket is gone",
              status == 200 and not os.path.exists(socket_path))
        return 0 if all(results) else 1
    except BaseException:
        results.append(False)
        raise
    finally:
        for process in (guest_process, daemon):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        log.close()
        run("/usr/bin/python3", lab_py, "down", "--dir", directory,
            timeout=120)
        shutil.rmtree(f"/var/run/dpdk/{PREFIX}-guest", ignore_errors=True)
        work_directory_remove(directory, all(results))


if __name__ == "__main__":
    sys.exit(main())

// diagnose.ts: can this machine run sandboxes, and if not, why and what to do.
import { constants, accessSync, existsSync, readFileSync, statSync } from 'node:fs';
import { loadAddon } from '../native';

export interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do, when not ok. */
  fix?: string;
}

const MIB = 1024 * 1024;

export function diagnose(): Finding[] {
  const out: Finding[] = [];
  const platform = `${process.platform}/${process.arch}`;
  out.push(
    platform === 'linux/x64'
      ? { check: 'platform', ok: true, detail: platform }
      : { check: 'platform', ok: false, detail: platform, fix: 'hl needs Linux on x86-64' },
  );
  if (!existsSync('/dev/kvm')) {
    const pvmGuest = existsSync('/sys/module/kvm_pvm'); // loaded, yet no device: this kernel is itself a PVM guest
    out.push({
      check: '/dev/kvm',
      ok: false,
      detail: pvmGuest ? 'missing: this kernel is itself a PVM guest, and PVM does not nest' : 'missing',
      fix: pvmGuest
        ? 'run hl on a machine that offers KVM (the host, or a VM with nested virtualisation); to run the tests here, npm test boots a VM with nested KVM under emulation (scripts/nested-kvm)'
        : 'load the KVM module (modprobe kvm_intel or kvm_amd), or enable nested virtualisation for this VM',
    });
    return out;
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    const st = statSync('/dev/kvm');
    out.push({ check: '/dev/kvm', ok: true, detail: `read/write (mode ${(st.mode & 0o777).toString(8)})` });
  } catch {
    const st = statSync('/dev/kvm');
    const groups = readGroups();
    const fix = kvmAccessFix({ gid: st.gid, mode: st.mode & 0o777 }, { gids: process.getgroups?.() ?? [], name: process.env.USER ?? '' }, groups);
    out.push({ check: '/dev/kvm', ok: false, detail: `permission denied (owner group ${groups.get(st.gid) ?? st.gid}, mode ${(st.mode & 0o777).toString(8)})`, fix });
    return out;
  }
  if (existsSync('/sys/module/kvm_pvm')) {
    out.push({ check: 'kvm flavour', ok: true, detail: 'PVM (shadow paging): ring-0 code is emulated, hl runs guests in ring 3 at native speed' });
  } else if (existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd')) {
    out.push({ check: 'kvm flavour', ok: true, detail: existsSync('/sys/module/kvm_intel') ? 'kvm_intel (VMX)' : 'kvm_amd (SVM)' });
  }
  try {
    const addon = loadAddon();
    out.push({ check: 'native addon', ok: true, detail: `loaded, ABI version ${addon.abiVersion}` });
    try {
      const vm = new addon.Vm(4 * MIB);
      vm.close();
      out.push({ check: 'create a VM', ok: true, detail: 'KVM_CREATE_VM and KVM_CREATE_VCPU work' });
    } catch (err) {
      out.push({ check: 'create a VM', ok: false, detail: (err as Error).message, fix: 'check dmesg for KVM errors; inside a VM, nested virtualisation must be on' });
    }
  } catch (err) {
    out.push({ check: 'native addon', ok: false, detail: (err as Error).message, fix: 'run "npm install" in the hl package (needs g++, make, python3)' });
  }
  return out;
}

/** gid -> group name, from /etc/group (empty if unreadable). */
function readGroups(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (name && gid !== undefined && /^\d+$/.test(gid)) m.set(Number(gid), name);
    }
  } catch {
    // no names: numbers are shown instead
  }
  return m;
}

/**
 * What gives a user read/write access to /dev/kvm, from its group and mode: joining
 * a group helps only if the group may read and write it. The usual fix for a
 * device left root:root 0600 is the udev rule most distributions ship.
 */
export function kvmAccessFix(dev: { gid: number; mode: number }, user: { gids: number[]; name: string }, groups: Map<number, string>): string {
  const group = groups.get(dev.gid) ?? String(dev.gid);
  const groupRw = (dev.mode & 0o060) === 0o060;
  if (!groupRw || dev.gid === 0) {
    return `/dev/kvm is readable and writable only by ${dev.gid === 0 ? 'root' : `its owner`} (mode ${dev.mode.toString(8)}): give the kvm group access (sudo chown root:kvm /dev/kvm && sudo chmod 660 /dev/kvm; to keep it, a udev rule KERNEL=="kvm", GROUP="kvm", MODE="0660"), then join the group (sudo usermod -aG kvm "$USER") and log in again`;
  }
  if (user.gids.includes(dev.gid)) return `you are in group ${group} but this session is not: log in again (or run "newgrp ${group}")`;
  return `join group ${group} (sudo usermod -aG ${group} "$USER") and log in again`;
}

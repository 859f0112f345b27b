// diagnose.ts: can this machine run sandboxes, and if not, why and what to do.
import { constants, accessSync, existsSync, statSync } from 'node:fs';
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
    out.push({ check: '/dev/kvm', ok: false, detail: 'missing', fix: 'load the KVM module (modprobe kvm_intel or kvm_amd), or enable nested virtualisation for this VM' });
    return out;
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    const st = statSync('/dev/kvm');
    out.push({ check: '/dev/kvm', ok: true, detail: `read/write (mode ${(st.mode & 0o777).toString(8)})` });
  } catch {
    out.push({ check: '/dev/kvm', ok: false, detail: 'permission denied', fix: 'add your user to the kvm group (sudo usermod -aG kvm "$USER") and log in again' });
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

// symbols.ts: the function symbols of a guest image (its ELF .symtab), to
// name the addresses a profile samples. The image is the user's file, but
// it is parsed as hostile input anyway: every offset and count is checked,
// and the table is bounded (MAX_SYMBOLS, names cut at MAX_NAME bytes).
const MAX_SYMBOLS = 100_000;
const MAX_NAME = 256;

export interface FunctionSymbol {
  addr: number;
  size: number;
  name: string;
}

export class SymbolTable {
  private constructor(private readonly sorted: FunctionSymbol[]) {}

  /** The FUNC symbols of an ELF64 image; empty when it has no .symtab (stripped). */
  static fromImage(file: Buffer): SymbolTable {
    return new SymbolTable(readFunctions(file).sort((a, b) => a.addr - b.addr));
  }

  get size(): number {
    return this.sorted.length;
  }

  /** The function containing `addr`, or `0x...` when none does. */
  name(addr: number): string {
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best: FunctionSymbol | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].addr <= addr) {
        best = this.sorted[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best && (addr < best.addr + Math.max(best.size, 1))) return best.name;
    return `0x${addr.toString(16)}`;
  }
}

function readFunctions(f: Buffer): FunctionSymbol[] {
  if (f.length < 64 || f.readUInt32BE(0) !== 0x7f454c46 || f[4] !== 2 || f[5] !== 1) return [];
  const shoff = Number(f.readBigUInt64LE(40));
  const shentsize = f.readUInt16LE(58);
  const shnum = f.readUInt16LE(60);
  if (shentsize < 64 || shoff <= 0 || shoff + shnum * shentsize > f.length) return [];
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { type: f.readUInt32LE(at + 4), offset: Number(f.readBigUInt64LE(at + 24)), size: Number(f.readBigUInt64LE(at + 32)), link: f.readUInt32LE(at + 40), entsize: Number(f.readBigUInt64LE(at + 56)) };
  };
  const out: FunctionSymbol[] = [];
  for (let i = 0; i < shnum; i++) {
    const sym = section(i);
    if (sym.type !== 2 /* SHT_SYMTAB */ || sym.entsize < 24 || sym.link >= shnum) continue;
    const str = section(sym.link);
    if (sym.offset + sym.size > f.length || str.offset + str.size > f.length) continue;
    const count = Math.min(Math.floor(sym.size / sym.entsize), MAX_SYMBOLS);
    for (let k = 0; k < count && out.length < MAX_SYMBOLS; k++) {
      const at = sym.offset + k * sym.entsize;
      const info = f[at + 4];
      if ((info & 0xf) !== 2 /* STT_FUNC */) continue;
      const nameOff = f.readUInt32LE(at);
      if (nameOff >= str.size) continue;
      const start = str.offset + nameOff;
      let end = start;
      const limit = Math.min(str.offset + str.size, start + MAX_NAME);
      while (end < limit && f[end] !== 0) end++;
      const addr = Number(f.readBigUInt64LE(at + 8));
      const size = Number(f.readBigUInt64LE(at + 16));
      if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(size)) continue;
      out.push({ addr, size, name: f.toString('latin1', start, end) });
    }
    return out; // ELF has one .symtab: a second one is a hostile image's, not read
  }
  return out;
}

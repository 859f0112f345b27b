// format.ts: how a result is printed: text for people and scripts, or JSON.
import type { JsValue, ValueType } from '../abi/types';

/** The shortest decimal that reads back as the same float32. */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = String(Number(v.toPrecision(p)));
    if (Math.fround(Number(s)) === v) return s;
  }
  return String(v);
}

/** Text form: undefined for void (nothing is printed). Bytes are returned raw. */
export function formatText(type: ValueType, v: JsValue): string | Uint8Array | undefined {
  switch (type) {
    case 'void': return undefined;
    case 'float': return formatFloat32(v as number) + '\n';
    case 'bytes': return v as Uint8Array;
    default: return String(v) + '\n';
  }
}

/** JSON-safe form: 64-bit integers as strings (no precision loss), bytes as base64. */
export function jsonValue(type: ValueType, v: JsValue): unknown {
  switch (type) {
    case 'int64':
    case 'uint64': return (v as bigint).toString();
    case 'bytes': return Buffer.from(v as Uint8Array).toString('base64');
    // JSON has no NaN or infinities: they are the strings "NaN", "Infinity", "-Infinity" (null is void).
    case 'float': return Number.isFinite(v as number) ? Number(formatFloat32(v as number)) : String(v);
    case 'double': return Number.isFinite(v as number) ? v : String(v);
    default: return v ?? null;
  }
}

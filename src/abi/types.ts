// types.ts: the ABI's value types by name, and the JS value each one maps to.
import * as abi from './constants';

export const ValueTypes = ['void', 'int32', 'uint32', 'int64', 'uint64', 'float', 'double', 'bool', 'string', 'bytes'] as const;
export type ValueType = (typeof ValueTypes)[number];
export type ParamType = Exclude<ValueType, 'void'>;

/** The JS value of each type: 64-bit integers are bigint, so nothing is rounded. */
export interface JsValueOf {
  void: undefined;
  int32: number;
  uint32: number;
  int64: bigint;
  uint64: bigint;
  float: number;
  double: number;
  bool: boolean;
  string: string;
  bytes: Uint8Array;
}
export type JsValue = JsValueOf[ValueType];

const codes: Record<ValueType, number> = {
  void: abi.HL_TYPE_VOID,
  int32: abi.HL_TYPE_I32,
  uint32: abi.HL_TYPE_U32,
  int64: abi.HL_TYPE_I64,
  uint64: abi.HL_TYPE_U64,
  float: abi.HL_TYPE_F32,
  double: abi.HL_TYPE_F64,
  bool: abi.HL_TYPE_BOOL,
  string: abi.HL_TYPE_STRING,
  bytes: abi.HL_TYPE_BYTES,
};

export function typeCode(t: ValueType): number {
  return codes[t];
}

/** The type for an ABI code, or undefined for a code the ABI does not define. */
export function typeFromCode(code: number): ValueType | undefined {
  return code >= 0 && code <= abi.HL_TYPE_MAX ? ValueTypes[code] : undefined;
}

export function isValueType(s: string): s is ValueType {
  return (ValueTypes as readonly string[]).includes(s);
}

/** A function as a guest declares it. */
export interface FunctionSignature {
  name: string;
  params: ParamType[];
  returns: ValueType;
}

export function formatSignature(f: FunctionSignature): string {
  return `${f.name}(${f.params.join(', ')}) -> ${f.returns}`;
}

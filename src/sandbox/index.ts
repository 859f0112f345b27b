// index.ts: the public library API of hl.
export { Sandbox, type SandboxOptions, type CallOptions, type HostFunction } from './sandbox';
export { HlError, GuestError, GuestFault, ErrorCode, type ErrorCodeValue, type FaultKind } from '../errors';
export { InterruptHandle } from './interrupt';
export { guestApi, type GuestApi } from './typed-calls';
export { GuestProfile } from './profile';
export type { GdbOptions } from './debug-call';
export type { SandboxObserver, GuestLogRecord } from './events';
export { MEMORY_DEFAULTS, type MemoryOptions, type Layout } from './layout';
export { type FunctionSignature, type ValueType, type ParamType, type JsValue, formatSignature } from '../abi/types';
export { setMetricsRegistry, MetricNames } from '../observability/metrics';
export { metricsText } from '../observability/exposition';
export { configureLogging, type LoggingConfig, type LogFormat } from '../observability/logging';
export { traceTree } from '../observability/trace-tree';
export { guestsPath, sdkPath } from '../package-root';

// otel-env.ts: what `hl run --otlp` takes from OpenTelemetry's environment
// (the SDK environment variables and the OTLP exporter configuration pages of
// the specification): whether to export at all, the protocol, the endpoint and
// whether it is TLS, the batch processor's settings. Pure: no OpenTelemetry is
// loaded here, so it is tested without a collector. Where hl differs from the
// specification it is on purpose, and docs/observability.md says why.
import { usage } from '../errors';
import { FLUSH_BUDGET_MS } from './flush-deadline';

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** The batch span processor's settings (OTEL_BSP_*). */
export interface BspSettings {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export type OtlpSettings =
  | { export: false; /** the variable that turned exporting off */ reason: string; warnings: string[] }
  | {
      export: true;
      protocol: OtlpProtocol;
      /** The URL handed to the exporter, always with http:// or https://. */
      url: string;
      secure: boolean;
      /** The export timeout (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT, cut to the flush bound). */
      timeoutMillis: number;
      bsp: BspSettings;
      warnings: string[];
    };

/**
 * The longest one export may take: short enough that a silent collector fails
 * with the exporter's own message before the end of a run's flush deadline
 * (flush-deadline.ts). A smaller OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT or
 * OTEL_BSP_EXPORT_TIMEOUT wins; a larger one is cut to this.
 */
export const EXPORT_TIMEOUT_MS = Math.round(FLUSH_BUDGET_MS * 0.75);

/** hl's batch delay: a batch every half second, so a long run streams (the specification's default is 5 s). */
export const DEFAULT_SCHEDULE_DELAY_MS = 500;
/** The specification's defaults. */
export const DEFAULT_MAX_QUEUE_SIZE = 2048;
export const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;

const GRPC_DEFAULT = 'http://localhost:4317';
const HTTP_DEFAULT = 'http://localhost:4318/v1/traces';

type Env = NodeJS.ProcessEnv;

/** The specification: an empty value is the same as an unset one. */
function get(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** The traces variable, else the general one. */
function either(env: Env, suffix: string): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = get(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** Only a case-insensitive "true" is true; anything but "false" says so once. */
function bool(env: Env, name: string, warnings: string[]): boolean {
  const v = get(env, name);
  if (v === undefined) return false;
  if (v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() !== 'false') warnings.push(`${name}=${v} is neither true nor false; taken as false`);
  return false;
}

/** A non-negative integer, else undefined with a warning (the specification: warn and use the default). */
function int(env: Env, name: string, warnings: string[], min: number): number | undefined {
  const v = get(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (/^\d+$/.test(v) && Number.isSafeInteger(n) && n >= min) return n;
  warnings.push(`${name}=${v} is not ${min > 0 ? 'a positive' : 'a non-negative'} integer; ignored`);
  return undefined;
}

/** The export timeout: the environment's (traces first, then general) if smaller than the bound. */
export function exportTimeout(env: Env = process.env): number {
  const t = either(env, 'TIMEOUT');
  if (!t) return EXPORT_TIMEOUT_MS;
  const ms = Number(t.value);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, EXPORT_TIMEOUT_MS) : EXPORT_TIMEOUT_MS;
}

export function bspSettings(env: Env, warnings: string[], timeoutMillis: number): BspSettings {
  const maxQueueSize = int(env, 'OTEL_BSP_MAX_QUEUE_SIZE', warnings, 1) ?? DEFAULT_MAX_QUEUE_SIZE;
  let maxExportBatchSize = int(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', warnings, 1) ?? DEFAULT_MAX_EXPORT_BATCH_SIZE;
  if (maxExportBatchSize > maxQueueSize) {
    if (get(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE') !== undefined) warnings.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than the queue (${maxQueueSize}); using ${maxQueueSize}`);
    maxExportBatchSize = maxQueueSize;
  }
  const bspTimeout = int(env, 'OTEL_BSP_EXPORT_TIMEOUT', warnings, 1);
  return {
    scheduledDelayMillis: int(env, 'OTEL_BSP_SCHEDULE_DELAY', warnings, 0) ?? DEFAULT_SCHEDULE_DELAY_MS,
    exportTimeoutMillis: Math.min(bspTimeout ?? timeoutMillis, timeoutMillis),
    maxQueueSize,
    maxExportBatchSize,
  };
}

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

function protocol(env: Env, warnings: string[]): OtlpProtocol {
  const p = either(env, 'PROTOCOL');
  if (!p) return 'grpc';
  const v = p.value.toLowerCase() as OtlpProtocol;
  if (PROTOCOLS.includes(v)) return v;
  warnings.push(`${p.name}=${p.value} is not grpc, http/protobuf or http/json; using grpc`);
  return 'grpc';
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Header names that carry credentials: never sent in plaintext the user did not ask for. */
export function isCredentialHeader(name: string): boolean {
  const n = name.trim().toLowerCase();
  return n === 'authorization' || n === 'proxy-authorization' || /key|token|secret|password/.test(n);
}

/** Header names from OTEL_EXPORTER_OTLP_[TRACES_]HEADERS (key=value,key=value; keys may be percent-encoded), with their variable. */
export function headerNames(env: Env): { header: string; variable: string }[] {
  const names: { header: string; variable: string }[] = [];
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS']) {
    for (const pair of (get(env, variable) ?? '').split(',')) {
      const key = pair.split('=')[0].trim();
      if (!key) continue;
      let header = key;
      try {
        header = decodeURIComponent(key);
      } catch {}
      names.push({ header, variable });
    }
  }
  return names;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** http://host:port + "v1/traces", with exactly one slash between (OTLP/HTTP's per-signal URL from a base). */
function appendSignalPath(url: URL): string {
  url.pathname = url.pathname.replace(/\/?$/, '/') + 'v1/traces';
  return url.toString();
}

/**
 * The exporter settings for `--otlp [endpoint]` under `env`. Throws a usage
 * error (one line) for an endpoint that is not one, and for credentials that
 * would travel in plaintext the user did not ask for.
 */
export function otlpSettings(flag: string | true, env: Env = process.env): OtlpSettings {
  const warnings: string[] = [];
  if (bool(env, 'OTEL_SDK_DISABLED', warnings)) return { export: false, reason: 'OTEL_SDK_DISABLED=true', warnings };
  const exporters = (get(env, 'OTEL_TRACES_EXPORTER') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const others = exporters.filter((e) => e !== 'otlp' && e !== 'none');
  if (exporters.includes('none') && !exporters.includes('otlp')) return { export: false, reason: `OTEL_TRACES_EXPORTER=${get(env, 'OTEL_TRACES_EXPORTER')}`, warnings };
  if (others.length) warnings.push(`OTEL_TRACES_EXPORTER: hl exports only OTLP (--otlp); ${others.join(', ')} ignored`);

  const proto = protocol(env, warnings);
  const http = proto !== 'grpc';
  // Where the endpoint came from decides what a missing scheme means.
  let raw: string;
  let from: 'flag' | 'traces' | 'general' | 'default';
  if (flag !== true) [raw, from] = [flag.trim(), 'flag'];
  else if (get(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) [raw, from] = [get(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')!, 'traces'];
  else if (get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')) [raw, from] = [get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')!, 'general'];
  else [raw, from] = [http ? HTTP_DEFAULT : GRPC_DEFAULT, 'default'];

  const scheme = SCHEME.exec(raw)?.[1]?.toLowerCase();
  const source = from === 'flag' ? '--otlp' : from === 'traces' ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') throw usage(`${source}: "${raw}" is not an http:// or https:// endpoint`);
  // The flag's HOST:PORT is plaintext (documented: a local Jaeger); the environment's is TLS unless ..._INSECURE=true.
  const insecure = either(env, 'INSECURE');
  const insecureTrue = insecure ? bool({ [insecure.name]: insecure.value }, insecure.name, warnings) : false;
  const secure = scheme ? scheme === 'https' : from === 'flag' ? false : !insecureTrue;
  let url: URL;
  try {
    url = new URL(scheme ? raw : `${secure ? 'https' : 'http'}://${raw}`);
    if (!url.host) throw new Error('no host');
  } catch {
    throw usage(`${source}: "${raw}" is not an endpoint (examples: localhost:4317, https://collector:4317)`);
  }
  // OTLP/HTTP: a base endpoint gets /v1/traces; the traces variable is used as it is.
  const final = http && (from === 'general' || (from === 'flag' && (url.pathname === '/' || url.pathname === ''))) ? appendSignalPath(url) : http ? url.toString() : `${url.protocol}//${url.host}`;

  const explicitPlaintext = scheme === 'http' || insecureTrue;
  if (!secure && !explicitPlaintext && !isLoopback(url.hostname)) {
    const secret = headerNames(env).find((h) => isCredentialHeader(h.header));
    if (secret)
      throw usage(
        `${secret.variable} has a "${secret.header}" header and ${source} ${raw} is plaintext; use https://${url.host} (TLS), or http://${url.host} to send it unencrypted`,
      );
  }
  const timeoutMillis = exportTimeout(env);
  return { export: true, protocol: proto, url: final, secure, timeoutMillis, bsp: bspSettings(env, warnings, timeoutMillis), warnings };
}

/**
 * One line for an export failure, keeping its cause: gRPC's "No connection
 * established. Last error: ..." keeps the last error (a TLS failure says so).
 */
export function exportFailureText(err: unknown): string {
  const e = err as { message?: string; cause?: unknown; code?: unknown } | undefined;
  let text = String(e?.message ?? err ?? 'export failed');
  const last = /Last error: (?:Error: )?([^\n]*?)(?:\.? *Resolution note:.*)?$/m.exec(text)?.[1]?.trim();
  text = text.split('\n')[0].replace(/\.? *(Last error|Resolution note):.*$/, '');
  if (last && !text.includes(last)) text += ` (${last})`;
  // OpenSSL's "803C...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/...:350:" says "wrong version number".
  text = text.replace(/[0-9A-F]*:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^\s)]*/g, 'TLS: $1');
  const cause = (e?.cause as { message?: string } | undefined)?.message;
  if (cause && !text.includes(cause)) text += `: ${cause.split('\n')[0]}`;
  return text || 'export failed';
}

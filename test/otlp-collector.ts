// otlp-collector.ts: a real OTLP/gRPC trace collector for the tests: a
// @grpc/grpc-js server on loopback serving TraceService/Export, decoding the
// requests with protobufjs from the official message definitions (test/proto).
import { hangGuard } from './helpers';
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

export interface CollectedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code: number; message: string };
  resource: Record<string, unknown>;
  scope: string;
}

const protoDir = path.join(__dirname, '..', '..', 'test', 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(protoDir, path.basename(target));
root.loadSync('otlp-collector.proto', { keepCase: true });
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const Response = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

type AnyValue = { string_value?: string; bool_value?: boolean; int_value?: string; double_value?: number; bytes_value?: Uint8Array };
function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.string_value !== undefined) return v.string_value;
  if (v.bool_value !== undefined) return v.bool_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.double_value !== undefined) return v.double_value;
  if (v.bytes_value !== undefined) return Buffer.from(v.bytes_value).toString('hex');
  return undefined;
}
function kv(list: { key: string; value?: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');

export interface Collector {
  endpoint: string;
  spans: CollectedSpan[];
  requests: number;
  /** Each request's headers (gRPC metadata, or HTTP headers), lower-case names. */
  headers: Record<string, string>[];
  /** HTTP receivers: each request's path and content type. */
  paths: string[];
  contentTypes: string[];
  waitFor(pred: (spans: CollectedSpan[]) => boolean, ms?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** A certificate and key for TLS receivers (PEM). */
export interface Tls {
  cert: Buffer;
  key: Buffer;
}

type Req = {
  resource_spans: { resource?: { attributes: [] }; scope_spans: { scope?: { name: string }; spans: Record<string, unknown>[] }[] }[];
};

/** Spans of one decoded ExportTraceServiceRequest (protobuf: ids as bytes; OTLP/JSON: ids as hex strings). */
function collect(req: Req, spans: CollectedSpan[]): void {
  const id = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : hex(v as Uint8Array | undefined));
  for (const rs of req.resource_spans ?? []) {
    const resource = kv(rs.resource?.attributes);
    for (const ss of rs.scope_spans ?? []) {
      for (const s of ss.spans ?? []) {
        const sp = s as Record<string, unknown> & { events?: { name: string; attributes: [] }[]; status?: { code: number; message: string } };
        spans.push({
          name: sp.name as string,
          traceId: id(sp.trace_id),
          spanId: id(sp.span_id),
          parentSpanId: id(sp.parent_span_id),
          kind: sp.kind as number,
          startNs: BigInt(sp.start_time_unix_nano as string),
          endNs: BigInt(sp.end_time_unix_nano as string),
          attributes: kv(sp.attributes as []),
          events: (sp.events ?? []).map((e) => ({ name: e.name, attributes: kv(e.attributes) })),
          status: { code: sp.status?.code ?? 0, message: sp.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
}

function collector(spans: CollectedSpan[], state: { requests: number; headers: Record<string, string>[]; paths: string[]; contentTypes: string[] }, endpoint: string, stop: () => Promise<void>): Collector {
  return {
    endpoint,
    spans,
    get requests() {
      return state.requests;
    },
    headers: state.headers,
    paths: state.paths,
    contentTypes: state.contentTypes,
    async waitFor(pred, ms = 5000) {
      const end = Date.now() + hangGuard(ms);
      while (Date.now() < end) {
        if (pred(spans)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return pred(spans);
    },
    stop,
  };
}

/** The OTLP/gRPC receiver; with `tls`, over TLS with that certificate. */
export async function startCollector(opts: { tls?: Tls } = {}): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const state = { requests: 0, headers: [] as Record<string, string>[], paths: [] as string[], contentTypes: [] as string[] };
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        state.requests++;
        state.headers.push(Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k.toLowerCase(), String(v)])));
        collect(Request.toObject(Request.decode(call.request), { longs: String, bytes: Array, defaults: true }) as Req, spans);
        callback(null, Buffer.from(Response.encode(Response.create({})).finish()));
      },
    },
  );
  const creds = opts.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }]) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  return collector(spans, state, `127.0.0.1:${port}`, () =>
    new Promise<void>((resolve) => {
      // A client that spoke TLS to this plaintext server leaves a connection tryShutdown waits on.
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 1000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    }),
  );
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** OTLP/JSON's lowerCamelCase field names as the protos' snake_case; values unchanged. */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
  return v;
}

/** The OTLP/HTTP receiver (protobuf and JSON bodies, any path); with `tls`, HTTPS. */
export async function startHttpCollector(opts: { tls?: Tls } = {}): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const state = { requests: 0, headers: [] as Record<string, string>[], paths: [] as string[], contentTypes: [] as string[] };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      state.requests++;
      state.paths.push(req.url ?? '');
      state.contentTypes.push(type);
      state.headers.push(Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])));
      if (type.startsWith('application/json')) {
        collect(snakeKeys(JSON.parse(body.toString('utf8'))) as Req, spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        collect(Request.toObject(Request.decode(body), { longs: String, bytes: Array, defaults: true }) as Req, spans);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(Response.encode(Response.create({})).finish()));
      }
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return collector(spans, state, `127.0.0.1:${port}`, () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
}

/** A peer that accepts TCP connections and never answers: a silent collector. */
export async function startSilentPeer(): Promise<{ endpoint: string; stop: () => void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    stop: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

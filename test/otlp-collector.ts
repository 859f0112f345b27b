// otlp-collector.ts: a real OTLP/gRPC trace collector for the tests: a
// @grpc/grpc-js server on loopback serving TraceService/Export, decoding the
// requests with protobufjs from the official message definitions (test/proto).
import * as grpc from '@grpc/grpc-js';
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
  waitFor(pred: (spans: CollectedSpan[]) => boolean, ms?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  const spans: CollectedSpan[] = [];
  const state = { requests: 0 };
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
        const req = Request.toObject(Request.decode(call.request), { longs: String, bytes: Array, defaults: true }) as {
          resource_spans: { resource?: { attributes: [] }; scope_spans: { scope?: { name: string }; spans: Record<string, never>[] }[] }[];
        };
        for (const rs of req.resource_spans) {
          const resource = kv(rs.resource?.attributes);
          for (const ss of rs.scope_spans) {
            for (const s of ss.spans as unknown as Record<string, never>[]) {
              const sp = s as unknown as Record<string, unknown> & { events: { name: string; attributes: [] }[]; status?: { code: number; message: string } };
              spans.push({
                name: sp.name as string,
                traceId: hex(sp.trace_id as Uint8Array),
                spanId: hex(sp.span_id as Uint8Array),
                parentSpanId: hex(sp.parent_span_id as Uint8Array),
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
        callback(null, Buffer.from(Response.encode(Response.create({})).finish()));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    spans,
    get requests() {
      return state.requests;
    },
    async waitFor(pred, ms = 5000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (pred(spans)) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return pred(spans);
    },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
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

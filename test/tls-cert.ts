// tls-cert.ts: a throwaway self-signed certificate for localhost and
// 127.0.0.1, made by Debian's openssl (scripts/test-deps.sh installs it), for
// the TLS receivers of the tests.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCert {
  cert: Buffer;
  key: Buffer;
  /** The certificate's file: what OTEL_EXPORTER_OTLP_CERTIFICATE names. */
  certFile: string;
  remove(): void;
}

export function makeCert(): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), certFile, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

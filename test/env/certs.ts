// Certificates and keys for a throwaway control plane, made with the openssl
// command: a CA, the API server's serving certificate for loopback, an admin
// client certificate in system:masters, and the service-account signing key.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './run.ts';

export interface ControlPlaneCerts {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

const days = '2';

async function ecKey(path: string): Promise<void> {
  await runOk(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

async function signed(dir: string, name: string, subject: string, ext: string, c: { caCert: string; caKey: string }): Promise<void> {
  const key = join(dir, `${name}.key`);
  await ecKey(key);
  await runOk(['openssl', 'req', '-new', '-key', key, '-subj', subject, '-out', join(dir, `${name}.csr`)]);
  const extFile = join(dir, `${name}.ext`);
  await writeFile(extFile, ext);
  await runOk(['openssl', 'x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', c.caCert, '-CAkey', c.caKey,
    '-CAcreateserial', '-days', days, '-extfile', extFile, '-out', join(dir, `${name}.crt`)]);
}

export async function makeCerts(dir: string): Promise<ControlPlaneCerts> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await ecKey(caKey);
  await runOk(['openssl', 'req', '-x509', '-new', '-key', caKey, '-subj', '/CN=ckpt-test-ca', '-days', days,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert]);
  const ca = { caCert, caKey };
  await signed(dir, 'server', '/CN=kube-apiserver',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n', ca);
  await signed(dir, 'admin', '/O=system:masters/CN=ckpt-admin',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n', ca);
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await ecKey(saKey);
  await runOk(['openssl', 'pkey', '-in', saKey, '-pubout', '-out', saPub]);
  return {
    caCert, caKey, saKey, saPub,
    serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'),
    adminCert: join(dir, 'admin.crt'), adminKey: join(dir, 'admin.key'),
  };
}

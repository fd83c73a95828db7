/**
 * The firmware signing tool (npm run sign-firmware -- ...): Ed25519 keys and signed update
 * manifests the device accepts (src/firmware/signature.ts says which bytes are signed).
 *
 *   keygen --out KEYFILE                       a new key pair; KEYFILE gets the secret (mode 0600),
 *                                              stdout the public key for the config's firmwareKeys
 *   sign --key KEYFILE --image FILE --version V --path /firmware/image-V.bin [--out manifest.json]
 *                                              the manifest for FILE, signed (stdout without --out)
 *   verify --manifest FILE --keys HEX[,HEX...] [--image FILE]
 *                                              checks a manifest as the device would (exit 1 if not)
 *
 * Keep KEYFILE off the firmware server and out of the repository: whoever holds it can sign an
 * image the whole fleet installs.
 */
import fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { parseManifest } from '../src/firmware/manifest.ts';
import { signedBytes, verifyEd25519 } from '../src/firmware/signature.ts';
import { toHex } from '../src/util/bytes.ts';
import { publicKeyOf, signManifest } from './firmware-signer.ts';

/** '' when the manifest text would be acted on with `keys` (and matches `image` if given), else why not. */
export function checkManifest(text: string, keys: string[], image?: Uint8Array): string {
  const m = parseManifest(text, 1 << 26);
  if (!m.ok) return m.error;
  const { key, signature } = m.value;
  if (!key || !signature) return 'unsigned';
  if (!keys.some((k) => k.toLowerCase() === toHex(key))) return `key ${toHex(key)} is not among the keys given`;
  if (!verifyEd25519(signature, signedBytes(m.value), key)) return 'bad signature';
  if (image && (image.length !== m.value.size || createHash('sha256').update(image).digest('hex') !== toHex(m.value.sha256))) return 'the image is not the one the manifest names';
  return '';
}

function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i]!.startsWith('--') || argv[i + 1] === undefined) throw new Error(`expected --name value, got ${argv[i]}`);
    out.set(argv[i]!.slice(2), argv[i + 1]!);
  }
  return out;
}

function need(a: Map<string, string>, name: string): string {
  const v = a.get(name);
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const a = args(rest);
  if (command === 'keygen') {
    const out = need(a, 'out');
    if (fs.existsSync(out)) throw new Error(`${out} exists: not overwriting a signing key`);
    const secret = toHex(randomBytes(32));
    fs.writeFileSync(out, `${secret}\n`, { mode: 0o600 });
    console.log(publicKeyOf(secret));
    console.error(`secret key in ${out}; the line above goes into the config's firmwareKeys`);
    return 0;
  }
  if (command === 'sign') {
    const secret = fs.readFileSync(need(a, 'key'), 'utf8').trim();
    const manifest = signManifest({ version: need(a, 'version'), path: need(a, 'path'), image: fs.readFileSync(need(a, 'image')) }, secret);
    const text = `${JSON.stringify(manifest)}\n`;
    const out = a.get('out');
    if (out) fs.writeFileSync(out, text);
    else process.stdout.write(text);
    console.error(`signed ${manifest.version} (${manifest.size} bytes, SHA-256 ${manifest.sha256.slice(0, 16)}…) with key ${manifest.key}`);
    return 0;
  }
  if (command === 'verify') {
    const image = a.get('image');
    const why = checkManifest(fs.readFileSync(need(a, 'manifest'), 'utf8'), need(a, 'keys').split(','), image ? fs.readFileSync(image) : undefined);
    console.log(why === '' ? 'ok: signed by one of the keys' : `refused: ${why}`);
    return why === '' ? 0 : 1;
  }
  console.error('usage: npm run sign-firmware -- keygen --out KEYFILE | sign --key KEYFILE --image FILE --version V --path P [--out FILE] | verify --manifest FILE --keys HEX[,HEX] [--image FILE]');
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`sign-firmware: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  }
}

/** Reading and writing key files: the I/O edge of identity.ts. */
import { open, readFile, stat } from 'node:fs/promises';
import { InputError } from '../../core/index.js';
import { KEYS_ERRORS } from './errors.js';
import { formatIdentity, formatRecipient, parseIdentity, parseRecipient, type Identity, type Recipient } from './identity.js';

/** Key files are a few KiB; anything far larger is the wrong file, not a key. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

async function readKeyFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new InputError(KEYS_ERRORS.fileFormat, 'not a regular file', path);
  if (info.size > MAX_KEY_FILE_BYTES) {
    throw new InputError(KEYS_ERRORS.fileFormat, `${info.size} bytes is too large for a key file (at most ${MAX_KEY_FILE_BYTES})`, path);
  }
  return readFile(path, 'utf8');
}

/** Creates the file (never overwrites: losing an identity loses a custodian share) and fsyncs it. */
async function writeNewFile(path: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InputError(KEYS_ERRORS.fileFormat, 'file already exists; refusing to overwrite a key', path, { cause: err });
    }
    throw err;
  }
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeIdentity(path: string, identity: Identity): Promise<void> {
  await writeNewFile(path, formatIdentity(identity), 0o600);
}

export async function readIdentity(path: string): Promise<Identity> {
  return parseIdentity(await readKeyFile(path), path);
}

export async function writeRecipient(path: string, recipient: Recipient): Promise<void> {
  await writeNewFile(path, formatRecipient(recipient), 0o644);
}

export async function readRecipient(path: string): Promise<Recipient> {
  return parseRecipient(await readKeyFile(path), path);
}

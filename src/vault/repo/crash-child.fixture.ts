// Child process for the crash test in repo.test.ts: runs one backup and is killed mid-way.
// argv: storeDir sourceDir secretHex recipientPem signerPem
import { LocalDirBlobStore } from './blob-store.js';
import { backup } from './backup.js';
import { Repository } from './repository.js';
import { ed25519FromPrivatePem, x25519FromPrivatePem } from './x25519-recipient.js';

const [storeDir, sourceDir, secretHex, recipientPem, signerPem] = process.argv.slice(2) as [string, string, string, string, string];
const rec = x25519FromPrivatePem(recipientPem);
const signer = ed25519FromPrivatePem(signerPem);
const repo = await Repository.open(new LocalDirBlobStore(storeDir), { secret: Buffer.from(secretHex, 'hex') });
const result = await backup(repo, [sourceDir], { wrapDataKey: rec.wrapDataKey, sign: signer.sign });
process.stdout.write(`done ${result.snapshotId}\n`);

import { isMap, isScalar, parseAllDocuments, type Document } from 'yaml';

const BODY_KEYS = ['detection', 'correlation', 'filter'] as const;

/**
 * Why a rule file cannot be installed, or undefined when it looks like a Sigma rule. This is
 * a gate against junk (HTML error pages, truncated files, non-rules), not a full Sigma
 * validation: the rule loader checks semantics. Multi-document files are allowed because
 * Sigma correlation rules ship with the rules they reference, but every document counts.
 */
export function ruleProblem(data: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data); // also drops a BOM
  } catch {
    return 'not valid UTF-8 text';
  }
  // YAML 1.2 core schema, as the Sigma loader uses: `no`/`on` stay strings.
  const docs = parseAllDocuments(text, { version: '1.2', schema: 'core', uniqueKeys: true });
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) return `YAML error: ${error.message.split('\n')[0]}`;
  }
  const real = docs.filter((doc) => !isEmpty(doc));
  if (real.length === 0) return 'empty file';
  for (const [i, doc] of real.entries()) {
    const problem = shapeProblem(doc);
    if (problem) return real.length > 1 ? `document ${i + 1}: ${problem}` : problem;
  }
  return undefined;
}

function isEmpty(doc: Document): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

function shapeProblem(doc: Document): string | undefined {
  if (!isMap(doc.contents)) return 'not a Sigma rule: the top level is not a mapping';
  const title = doc.get('title');
  if (typeof title !== 'string' || title.trim() === '') return "not a Sigma rule: no 'title'";
  const body = BODY_KEYS.find((key) => doc.has(key));
  if (body === undefined) return "not a Sigma rule: no 'detection', 'correlation' or 'filter' section";
  if (!isMap(doc.get(body))) return `not a Sigma rule: '${body}' is not a mapping`;
  return undefined;
}

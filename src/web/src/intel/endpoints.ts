/** Where OpenCTI, MISP or a member's Lianfang point their TAXII client: the server's /taxii2/ (the console is served from the same origin). */
export function taxiiDiscoveryUrl(origin: string): string {
  return `${origin.replace(/\/+$/, '')}/taxii2/`;
}

/** A collection's objects URL under the one API root, `intel` (src/intel/taxii/server.ts API_ROOT). */
export function taxiiObjectsUrl(origin: string, collectionId: string): string {
  return `${taxiiDiscoveryUrl(origin)}intel/collections/${encodeURIComponent(collectionId)}/objects/`;
}

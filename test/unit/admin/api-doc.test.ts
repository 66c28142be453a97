import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderApiDoc } from '../../../src/admin/api-doc.js';
import { ALL_ROUTES } from '../../../src/admin/routes/index.js';
import { makeAdmin } from './fixture.js';

const DOC = fileURLToPath(new URL('../../../../docs/api.md', import.meta.url));

test('docs/api.md is generated from the route schemas and up to date (npm run docs:api)', () => {
  assert.equal(readFileSync(DOC, 'utf8'), renderApiDoc(), 'docs/api.md is out of date: run npm run docs:api');
});

test('every registered route is documented, with a summary and its answers', async () => {
  const t = await makeAdmin();
  try {
    const doc = readFileSync(DOC, 'utf8');
    const api = t.admin.routes.filter((r) => r.url.startsWith('/api'));
    assert.equal(api.length, ALL_ROUTES.length);
    for (const r of api) assert.ok(doc.includes(`### ${r.method} ${r.url}\n`), `${r.method} ${r.url} is not in docs/api.md`);
    for (const spec of ALL_ROUTES) {
      assert.ok(spec.summary.length > 10, `${spec.url}: summary`);
      assert.ok(Object.keys(spec.schema.response).length > 0, `${spec.method} ${spec.url}: no documented answer`);
      if (spec.method !== 'GET' && spec.method !== 'DELETE' && spec.schema.body === undefined) {
        // POSTs without a body take none: fine, but say so by having no body schema at all.
        assert.ok(spec.method === 'POST');
      }
    }
  } finally {
    await t.close();
  }
});

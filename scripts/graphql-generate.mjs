// Generates apps/api/src/graphql/graphql.generated.ts from schema.graphql (the contract).
// `--check` fails when the committed file is stale, so CI catches a schema change without types.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GraphQLDefinitionsFactory } from '@nestjs/graphql';

const target = 'apps/api/src/graphql/graphql.generated.ts';
const check = process.argv.includes('--check');
const path = check ? join(tmpdir(), `graphql.generated.${process.pid}.ts`) : target;

await new GraphQLDefinitionsFactory().generate({
  typePaths: ['./schema.graphql'],
  path,
  outputAs: 'class',
  enumsAsTypes: false,
  defaultScalarType: 'unknown',
  customScalarTypeMapping: { DateTime: 'Date' },
  skipResolverArgs: false,
});

if (check) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  const fresh = readFileSync(path, 'utf8');
  rmSync(path, { force: true });
  if (committed !== fresh) {
    console.error(`${target} is stale: run \`npm run graphql:generate\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${target} matches schema.graphql`);
}

import { readFileSync, readdirSync } from 'node:fs';
import { it } from 'vitest';
import { decodeK8sProtobuf } from '/work/main/apiserver/protobuf/decode.js';
it('dump', () => {
  for (const f of readdirSync('/work/main/apiserver/protobuf/fixtures')) {
    console.log(f, JSON.stringify(decodeK8sProtobuf(readFileSync('/work/main/apiserver/protobuf/fixtures/' + f)).object));
  }
});

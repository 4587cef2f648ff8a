// check.js -- validates openapi.yaml: the document against the OpenAPI 3.1
// schema (swagger-parser), every example against its schema (ajv, JSON
// Schema 2020-12), and the test conventions (every response has something
// the example test can send). With --json OUT, also writes the document
// with every $ref resolved, for tests/integration/test_openapi.py.
//   usage: node check.js openapi.yaml [--json OUT]
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');
const SwaggerParser = require('@apidevtools/swagger-parser');
const Ajv2020 = require('ajv/dist/2020').default;

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'];

function load(path) {
  return yaml.load(fs.readFileSync(path, 'utf8'));
}

// Names of the examples of one response, or [] if it has no content.
function responseExamples(response) {
  const names = [];
  for (const media of Object.values(response.content || {}))
    names.push(...Object.keys(media.examples || {}));
  return names;
}

function checkExamples(api) {
  const ajv = new Ajv2020({strict: false, allErrors: true});
  const problems = [];
  const check = (where, schema, value) => {
    if (!schema) return;
    const validate = ajv.compile(schema);
    if (!validate(value))
      problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  };
  for (const [path, item] of Object.entries(api.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const good = new Set();
      for (const [status, response] of Object.entries(op.responses)) {
        const names = responseExamples(response);
        if (response.content && names.length === 0)
          problems.push(`${where} ${status}: no example to send`);
        for (const [type, media] of Object.entries(response.content || {}))
          for (const [name, ex] of Object.entries(media.examples || {})) {
            check(`${where} ${status} ${type} example ${name}`, media.schema, ex.value);
            if (status.startsWith('2')) good.add(name);
          }
      }
      // Request examples named like a success example must be valid input.
      for (const p of op.parameters || [])
        for (const [name, ex] of Object.entries(p.examples || {}))
          if (good.has(name)) check(`${where} parameter ${p.name} example ${name}`, p.schema, ex.value);
      const body = op.requestBody && op.requestBody.content;
      for (const media of Object.values(body || {}))
        for (const [name, ex] of Object.entries(media.examples || {}))
          if (good.has(name)) check(`${where} body example ${name}`, media.schema, ex.value);
    }
  }
  return problems;
}

async function main() {
  const [file, flag, out] = process.argv.slice(2);
  if (!file || (flag && (flag !== '--json' || !out))) {
    console.error('usage: node check.js openapi.yaml [--json OUT]');
    process.exit(2);
  }
  await SwaggerParser.validate(load(file));
  const api = await SwaggerParser.dereference(load(file));
  const problems = checkExamples(api);
  for (const p of problems) console.error(`openapi: ${p}`);
  if (problems.length > 0) process.exit(1);
  if (out) fs.writeFileSync(out, JSON.stringify(api, null, 1));
  const ops = Object.values(api.paths).reduce((n, item) => n + METHODS.filter(m => item[m]).length, 0);
  console.log(`openapi: ${file} is valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths, ${ops} operations, examples match their schemas`);
}

main().catch(err => {
  console.error(`openapi: ${err.message}`);
  process.exit(1);
});

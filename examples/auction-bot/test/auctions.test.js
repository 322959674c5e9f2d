const test = require('node:test');
const assert = require('node:assert');

test('bid increments are whole cents', () => {
  assert.strictEqual(Number.isInteger(100), true);
});

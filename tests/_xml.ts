import assert from "node:assert/strict";

/** Checks that tags balance and attributes are quoted: a small well-formedness check. */
export function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    assert.doesNotMatch(between, /[<>]/, `stray markup before ${m[0]}`);
    assert.doesNotMatch(between, /&(?!(amp|lt|gt|quot|apos);)/, "unescaped &");
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else if (!selfClose) stack.push(name as string);
  }
  assert.deepEqual(stack, []);
  assert.equal(body.slice(last).trim(), "");
}

// The page's text-encoder card, its DOM-free parts: which inputs are ids, mask and segments, and typed text → ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encode, encoderRoles } from '../../web/static/js/encoder.js';
import { tokenizer } from '../../web/static/js/widgets.js';

const spec = (name, dtype = 'int32', shape = [null, null]) => ({ name, dtype, shape });

test('keras-hub and Hugging Face encoders are recognised by their input names', () => {
  const bert = encoderRoles({ inputs: [spec('padding_mask'), spec('segment_ids'), spec('token_ids')] });
  assert.deepEqual([bert.ids.name, bert.mask.name, bert.segments.name], ['token_ids', 'padding_mask', 'segment_ids']);
  const gpt2 = encoderRoles({ inputs: [spec('padding_mask'), spec('token_ids')] });
  assert.deepEqual([gpt2.ids.name, gpt2.mask.name, gpt2.segments], ['token_ids', 'padding_mask', null]);
  const hf = encoderRoles({ inputs: [spec('input_ids', 'int64'), spec('attention_mask', 'bool'), spec('token_type_ids', 'int64')] });
  assert.deepEqual([hf.ids.name, hf.mask.name, hf.segments.name], ['input_ids', 'attention_mask', 'token_type_ids']);
});

test('other models keep their own widgets', () => {
  for (const inputs of [
    [spec('ids', 'int32', [null, 8])], // a token classifier: no mask
    [spec('a'), spec('b'), spec('padding_mask')], // two id inputs
    [spec('token_ids'), spec('padding_mask', 'float32')], // a float mask
    [spec('token_ids', 'int32', [null, 4, 4]), spec('padding_mask', 'int32', [null, 4, 4])], // not one id per token
    [spec('token_ids'), spec('padding_mask'), spec('attention_mask')], // two masks
  ]) assert.equal(encoderRoles({ inputs }), null, JSON.stringify(inputs));
});

test('typed text becomes ids: BERT framing where the vocabulary has [CLS] and [SEP], padding at a fixed length', () => {
  const vocabulary = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'cat'];
  const words = tokenizer(spec('token_ids'), { vocabulary: { token_ids: vocabulary } });
  assert.deepEqual(encode(words, 'The cat zebra', null), { ids: [2, 4, 5, 1, 3], real: 5 });
  assert.deepEqual(encode(words, 'cat', 6), { ids: [2, 5, 3, 0, 0, 0], real: 3 });
  assert.deepEqual(encode(words, 'the cat the cat', 4), { ids: [2, 4, 5, 3], real: 4 }); // cut, [SEP] kept
  const ids = tokenizer(spec('token_ids'), {});
  assert.deepEqual(encode(ids, '5, 17 3', null), { ids: [5, 17, 3], real: 3 });
  assert.throws(() => encode(ids, '  ', null), /type at least one token/);
});

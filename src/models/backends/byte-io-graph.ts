/**
 * An ONNX graph that reads and writes 8-bit planes, made from one that reads and writes Y/255 floats: its input
 * becomes a uint8 plane turned into Y/255 by a DequantizeLinear (step 1/255, zero point 0), and its output goes
 * through a QuantizeLinear of the same step, which rounds and clamps to [0, 255] inside onnxruntime. Pure: bytes
 * of a ModelProto in, bytes of another out, by copying every protobuf field it does not change.
 *
 * Exact only for a graph whose output already lies on the 8-bit grid (the int8 chains of
 * training/quantize_chain.py write their residual in steps of 1/255 onto an 8-bit skip): there QuantizeLinear's
 * rounding (half to even) and srvid's (half up) cannot differ, since no output sits halfway between two
 * levels. A model's metadata says so with `"io8": true`; a test checks every shipped model that says it.
 */

const UINT8 = 2;
const FLOAT = 1;
/** Wire types: varint and length-delimited. */
const VARINT = 0;
const LEN = 2;

interface Field {
  readonly field: number;
  readonly wire: number;
  /** The whole field as it was encoded, key included. */
  readonly raw: Uint8Array;
  /** The payload of a length-delimited field. */
  readonly body: Uint8Array;
  /** The value of a varint field. */
  readonly value: number;
}

const readVarint = (buf: Uint8Array, at: number): { value: number; next: number } => {
  let value = 0;
  for (let shift = 0, pos = at; ; shift += 7) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return { value, next: pos };
  }
};

/** The top-level fields of one protobuf message, in order. */
const fields = (msg: Uint8Array): Field[] => {
  const out: Field[] = [];
  for (let pos = 0; pos < msg.length; ) {
    const start = pos;
    const key = readVarint(msg, pos);
    pos = key.next;
    const wire = key.value & 7;
    let body = msg.subarray(pos, pos);
    let value = 0;
    if (wire === VARINT) ({ value, next: pos } = readVarint(msg, pos));
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === LEN) {
      const n = readVarint(msg, pos);
      body = msg.subarray(n.next, n.next + n.value);
      pos = n.next + n.value;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (pos > msg.length) throw new Error('truncated protobuf field');
    out.push({ field: Math.floor(key.value / 8), wire, raw: msg.subarray(start, pos), body, value });
  }
  return out;
};

const varint = (n: number): number[] => {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return out;
    }
    out.push((v % 128) | 0x80);
  }
};

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const lenField = (field: number, body: Uint8Array): Uint8Array => concat([Uint8Array.from([...varint(field * 8 + LEN), ...varint(body.length)]), body]);
const varintField = (field: number, value: number): Uint8Array => Uint8Array.from([...varint(field * 8 + VARINT), ...varint(value)]);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A ValueInfoProto (name 1, type 2) renamed, with its TypeProto.tensor_type.elem_type (1 → 1) set to `elemType`. */
const retypedValueInfo = (info: Uint8Array, name: string, elemType: number): Uint8Array => {
  const parts = fields(info).map((f) => {
    if (f.field === 1) return lenField(1, text(name));
    if (f.field !== 2) return f.raw;
    const type = fields(f.body).map((t) => {
      if (t.field !== 1) return t.raw;
      const tensor = fields(t.body).map((e) => (e.field === 1 ? varintField(1, elemType) : e.raw));
      return lenField(1, concat(tensor));
    });
    return lenField(2, concat(type));
  });
  return concat(parts);
};

const elemTypeOf = (info: Uint8Array): number | undefined => {
  const type = fields(info).find((f) => f.field === 2);
  const tensor = type && fields(type.body).find((t) => t.field === 1);
  return tensor && fields(tensor.body).find((e) => e.field === 1)?.value;
};

/** NodeProto: input 1, output 2, op_type 4. */
const node = (op: string, inputs: readonly string[], output: string): Uint8Array =>
  concat([...inputs.map((i) => lenField(1, text(i))), lenField(2, text(output)), lenField(4, text(op))]);

/** A scalar TensorProto: data_type 2, name 8, raw_data 9. */
const scalar = (name: string, type: number, raw: Uint8Array): Uint8Array => concat([varintField(2, type), lenField(8, text(name)), lenField(9, raw)]);

const STEP = '__srvid_u8_step';
const ZERO = '__srvid_u8_zero';

/**
 * The graph of `model` with its one input and one output as uint8 planes (named `<input>_u8`, `<output>_u8`).
 * Throws when the graph does not take one float input and give one float output.
 */
export const withByteIo = (model: Uint8Array): Uint8Array => {
  const top = fields(model);
  const graphField = top.find((f) => f.field === 7 && f.wire === LEN);
  if (!graphField) throw new Error('no graph in the model');
  const graph = fields(graphField.body);
  const initializers = new Set(graph.filter((f) => f.field === 5).map((f) => decode(fields(f.body).find((t) => t.field === 8)?.body ?? new Uint8Array())));
  const nameOf = (f: Field): string => decode(fields(f.body).find((x) => x.field === 1)?.body ?? new Uint8Array());
  // Graph inputs that have an initializer are weights (older exporters list them), not the plane.
  const inputs = graph.filter((f) => f.field === 11 && !initializers.has(nameOf(f)));
  const outputs = graph.filter((f) => f.field === 12);
  const [input] = inputs;
  const [output] = outputs;
  if (inputs.length !== 1 || outputs.length !== 1 || !input || !output) throw new Error(`the graph has ${inputs.length} inputs and ${outputs.length} outputs, not one of each`);
  if (elemTypeOf(input.body) !== FLOAT || elemTypeOf(output.body) !== FLOAT) throw new Error('the graph does not read and write float planes');
  const inName = nameOf(input);
  const outName = nameOf(output);
  const taken = new Set([...initializers, ...graph.filter((f) => f.field === 1).flatMap((f) => fields(f.body).filter((x) => x.field === 2).map((x) => decode(x.body)))]);
  const clash = [`${inName}_u8`, `${outName}_u8`, STEP, ZERO].find((n) => taken.has(n));
  if (clash) throw new Error(`the graph already has a tensor named ${clash}`);
  const step = new Uint8Array(4);
  new DataView(step.buffer).setFloat32(0, 1 / 255, true); // raw_data is little-endian
  const body = [
    lenField(5, scalar(STEP, FLOAT, step)),
    lenField(5, scalar(ZERO, UINT8, Uint8Array.of(0))),
    // First, so the nodes stay in topological order: the plane becomes the float tensor the graph reads.
    lenField(1, node('DequantizeLinear', [`${inName}_u8`, STEP, ZERO], inName)),
    ...graph.map((f) => {
      if (f === input) return lenField(11, retypedValueInfo(f.body, `${inName}_u8`, UINT8));
      if (f === output) return lenField(12, retypedValueInfo(f.body, `${outName}_u8`, UINT8));
      return f.raw;
    }),
    lenField(1, node('QuantizeLinear', [outName, STEP, ZERO], `${outName}_u8`)),
  ];
  return concat(top.map((f) => (f === graphField ? lenField(7, concat(body)) : f.raw)));
};

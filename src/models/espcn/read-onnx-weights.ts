/**
 * Reads the float initializers (weights) and op types of an ONNX file: just enough protobuf for ModelProto →
 * graph → initializer {name, dims, float_data | raw_data} and node {op_type}. Pure (takes the file's bytes).
 */

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

const FLOAT = 1;

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }
  /** Field number and wire type of the next key, or null at the end. */
  key(): { field: number; wire: number } | null {
    if (this.pos >= this.end) return null;
    const k = this.varint();
    return { field: Math.floor(k / 8), wire: k & 7 };
  }
  bytes(): Uint8Array {
    const n = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const n = this.varint(); // read first: `this.pos += this.varint()` would add to the old position
      this.pos += n;
    }
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const sub = (r: Reader): Reader => {
  const b = r.bytes();
  return new Reader(b);
};

const floats = (bytes: Uint8Array): Float32Array => {
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.length / 4);
};

const readTensor = (r: Reader): OnnxTensor | null => {
  let name = '';
  const dims: number[] = [];
  let type = 0;
  let data: Float32Array | null = null;
  const floatData: number[] = [];
  for (let k = r.key(); k; k = r.key()) {
    if (k.field === 1 && k.wire === 0) dims.push(r.varint());
    else if (k.field === 1 && k.wire === 2) {
      const p = sub(r);
      while (p.pos < p.end) dims.push(p.varint());
    } else if (k.field === 2) type = r.varint();
    else if (k.field === 4 && k.wire === 2) data = floats(r.bytes());
    else if (k.field === 4 && k.wire === 5) {
      floatData.push(new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 4).getFloat32(0, true));
      r.pos += 4;
    } else if (k.field === 8) name = new TextDecoder().decode(r.bytes());
    else if (k.field === 9) data = floats(r.bytes());
    else r.skip(k.wire);
  }
  if (type !== FLOAT) return null;
  return { name, dims, data: data ?? Float32Array.from(floatData) };
};

/** NodeProto: op_type (field 4) and the names of its inputs (field 1) and outputs (field 2). */
const readNode = (r: Reader): OnnxNode => {
  let op = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (let k = r.key(); k; k = r.key()) {
    if (k.field === 4 && k.wire === 2) op = new TextDecoder().decode(r.bytes());
    else if (k.field === 1 && k.wire === 2) inputs.push(new TextDecoder().decode(r.bytes()));
    else if (k.field === 2 && k.wire === 2) outputs.push(new TextDecoder().decode(r.bytes()));
    else r.skip(k.wire);
  }
  return { op, inputs, outputs };
};

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface OnnxGraph {
  /** FLOAT initializers by name. */
  readonly weights: Map<string, OnnxTensor>;
  /** The nodes' op types in graph order. */
  readonly ops: string[];
  /** The nodes in graph order, with their inputs' names. */
  readonly nodes: OnnxNode[];
}

/** The float initializers and the op sequence of the model's graph. */
export const readOnnxGraph = (file: Uint8Array): OnnxGraph => {
  const out = new Map<string, OnnxTensor>();
  const nodes: OnnxNode[] = [];
  const model = new Reader(file);
  for (let k = model.key(); k; k = model.key()) {
    if (k.field !== 7 || k.wire !== 2) {
      model.skip(k.wire);
      continue;
    }
    const graph = sub(model);
    for (let g = graph.key(); g; g = graph.key()) {
      if (g.field === 5 && g.wire === 2) {
        const t = readTensor(sub(graph));
        if (t) out.set(t.name, t);
      } else if (g.field === 1 && g.wire === 2) nodes.push(readNode(sub(graph)));
      else graph.skip(g.wire);
    }
  }
  return { weights: out, ops: nodes.map((n) => n.op), nodes };
};

// The web-platform globals the core may use: those every host it runs in provides (the tab's worker, Node ≥ 20 for
// the CLI and the tests), declared as narrowly as the core uses them. tsconfig.core.json compiles src/core with the
// ES2022 library and this file only, so a DOM-only or Node-only API (document, window, Buffer, process, node:*)
// in the core is a type error. (tsconfig.json, for the UI and the tests, has the DOM and Node's types and leaves this
// file out; tsconfig.worker.json has the WebWorker library.) Add a declaration here only for an API all hosts have.

declare function setTimeout(handler: (...args: never[]) => void, ms?: number): unknown;
declare function clearTimeout(id: unknown): void;
declare function structuredClone<T>(value: T): T;
declare function atob(data: string): string;
declare function btoa(data: string): string;

declare var performance: { now(): number };

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}

declare var crypto: {
  readonly subtle: { digest(algorithm: 'SHA-256', data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): Promise<ArrayBuffer> };
};

/** Undefined in Node 20 (it came in Node 21); WebGPU's `gpu` only where the host offers WebGPU. */
declare var navigator: { readonly gpu?: GPU } | undefined;

declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: ArrayBuffer | ArrayBufferView<ArrayBuffer>);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}

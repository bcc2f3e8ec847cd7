// What the README's TypeScript examples (written beside this file by `cargo xtask test`) take
// from the app around them.
declare function token(): Promise<string>;
declare function show(value: unknown): void;
declare const body: string;
declare const headers: Record<string, string>;
declare const output: HTMLElement;
interface Price { symbol: string; price: number }

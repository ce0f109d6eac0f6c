/** Typed access to the webview API VS Code injects (`acquireVsCodeApi` may be called once per page). */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/** A typed channel to the host: `M` is the protocol's webview → host union. */
export interface HostChannel<M> {
  post(message: M): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function hostChannel<M>(): HostChannel<M> {
  const a = vscodeApi();
  return {
    post: (message) => a.postMessage(message),
    getState: () => a.getState(),
    setState: (state) => a.setState(state),
  };
}

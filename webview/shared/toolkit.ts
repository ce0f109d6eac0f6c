/**
 * The only module that imports `@vscode/webview-ui-toolkit` (archived upstream): swapping it for
 * `@vscode-elements/elements` means changing this file and the tag names the views create.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeDivider,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Registers the custom elements once (re-registering a custom element throws). */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeBadge(),
    vsCodeButton(),
    vsCodeDivider(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeTextField(),
  );
}

/** Tag names, so views do not spell them by hand. */
export const TAG = {
  button: 'vscode-button',
  badge: 'vscode-badge',
  divider: 'vscode-divider',
  panels: 'vscode-panels',
  panelTab: 'vscode-panel-tab',
  panelView: 'vscode-panel-view',
  textField: 'vscode-text-field',
} as const;

/** Reads `attnprof.*` through the pure, bounds-checking reader, and writes the two settings the commands pick. */
import * as vscode from 'vscode';
import { readSettings, type ProfileSettings } from '../hints/settings';

export const SECTION = 'attnprof';

export function currentSettings(scope?: vscode.ConfigurationScope): ProfileSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return readSettings((key) => config.get<unknown>(key));
}

/** Where a picked value goes: the workspace if it already overrides the setting, else the user settings. */
export async function saveSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}

/**
 * Which Python runs the torch:* kernels, as the editor knows it: the attnprof.python setting, else the Python
 * extension's active interpreter (through its public API, when that extension is installed), else discovery's own
 * candidates (python3 on PATH, /usr/bin/python3) in the worker.
 */
import * as vscode from 'vscode';
import type { PythonChoice } from '../protocol/worker';
import type { ProfileSettings } from '../hints/settings';

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path?: string } | undefined };
  settings?: { getExecutionDetails?: (resource?: vscode.Uri) => { execCommand?: string[] } | undefined };
}

/** The Python extension's active interpreter for `resource`, or undefined (not installed, not activated, no API). */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const env = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
    if (typeof env === 'string' && env.trim()) return env.trim();
    const exec = api?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
    return typeof exec === 'string' && exec.trim() ? exec.trim() : undefined;
  } catch {
    return undefined;
  }
}

export async function pythonChoice(settings: ProfileSettings, resource?: vscode.Uri): Promise<PythonChoice> {
  if (settings.python) return { explicit: { path: settings.python, source: 'attnprof.python' } };
  const interpreter = await pythonExtensionInterpreter(resource);
  return interpreter ? { extensionInterpreter: interpreter } : {};
}

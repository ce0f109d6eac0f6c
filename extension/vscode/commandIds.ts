/** Command ids, shared by the host and the manifest test (no `vscode` import). */
export const COMMANDS = {
  profileConfig: 'attnprof.profileConfig',
  profileShape: 'attnprof.profileShape',
  selectKernels: 'attnprof.selectKernels',
  selectAdapter: 'attnprof.selectAdapter',
  showReports: 'attnprof.showReports',
  openReport: 'attnprof.openReport',
  deleteReport: 'attnprof.deleteReport',
  compareReports: 'attnprof.compareReports',
  exportReport: 'attnprof.exportReport',
  cancelProfile: 'attnprof.cancelProfile',
  analyzePadding: 'attnprof.analyzePadding',
} as const;

export const REPORTS_VIEW_ID = 'attnprof.reports';

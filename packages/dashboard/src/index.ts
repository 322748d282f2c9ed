export { dashboardPlugin } from './dashboard-plugin';
export type { DashboardDeps } from './deps';

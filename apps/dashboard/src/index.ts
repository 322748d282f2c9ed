export { type DashboardDeps, dashboardPlugin } from './dashboard-plugin';

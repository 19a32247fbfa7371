/**
 * Modules that exist only in the Worker bundle, resolved by wrangler.toml `[alias]`: written at
 * build time by src/cli/content-bundle.ts, so there is nothing on disk for tsc to read.
 */
declare module "lessonpost:course-files" {
  /** One entry per course folder (see src/content/catalogue.ts CourseFolder). */
  const folders: { folder: string; files: { path: string; text: string }[] }[];
  export default folders;
}

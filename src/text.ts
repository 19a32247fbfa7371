/**
 * Text that must stay on one line: subjects, names, consent sources, header values. Every control
 * character (CR and LF included) becomes a space, so nothing typed can start a new header line.
 */
export function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

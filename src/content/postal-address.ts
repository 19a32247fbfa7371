/**
 * The postal address shipped in content/course.yaml is a placeholder. CAN-SPAM wants a real one in
 * every commercial email, so production refuses to start with it and content:check warns about it.
 * Keep no Node-only imports here: the Worker bundle's parser uses it too.
 */

export const PLACEHOLDER_POSTAL_ADDRESS = "123 Example Street, Springfield, USA";

/** Also matches the placeholder with a name in front of it or on several lines, as the preview data has it. */
export function isPlaceholderPostalAddress(address: string): boolean {
  return /\b123\s+Example\s+Street\b/i.test(address);
}

export const PLACEHOLDER_POSTAL_ADDRESS_PROBLEM =
  "postalAddress is still the shipped placeholder (123 Example Street): put your real postal address in course.yaml; CAN-SPAM requires one in every email";

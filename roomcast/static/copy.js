// Buttons that copy a field's text (data-copy="FIELD-ID"), and say so. The clipboard API needs a
// secure page (https or localhost); elsewhere the field is selected and copied the old way.
export async function copyText(field, status) {
  let copied = false;
  try { await navigator.clipboard.writeText(field.value); copied = true; } catch (error) { /* below */ }
  if (!copied) { field.select(); copied = document.execCommand && document.execCommand("copy"); }
  if (status) status.textContent = copied ? "Copied" : "Select the address and copy it";
}

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", () => {
    copyText(document.getElementById(button.dataset.copy), button.parentElement.querySelector(".copied"));
  });
}

import { expect, it } from "vitest";
import { trainWithLora } from "../guides-code/lora-own-model.js";

it("the 'LoRA on your own model' guide trains its model to fit the toy rule", async () => {
  const accuracy = await trainWithLora();
  expect(accuracy).toBeGreaterThan(0.9);
}, 60_000);

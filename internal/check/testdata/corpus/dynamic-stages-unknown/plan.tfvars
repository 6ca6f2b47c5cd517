stages = [
  { name = "Test", project = "catalog-test" },
  { name = "Package", project = "catalog-package" },
]

package wire

//go:generate go run ./internal/gentables tables_gen.go

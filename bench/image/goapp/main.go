// Command benchapp is the Go binary of the image-scan benchmark: it links
// old releases of golang.org/x modules that have real Go vulndb advisories.
package main

import (
	"fmt"

	"golang.org/x/net/html"
	"golang.org/x/text/language"
)

func main() {
	tag := language.Make("en-US")
	fmt.Println(tag, html.EscapeString("<ok>"))
}

// Command textapp exists to carry golang.org/x/text v0.3.5 in its build
// info: the scan tests compile it into a test image.
package main

import (
	"fmt"

	"golang.org/x/text/language"
)

func main() {
	fmt.Println(language.English)
}

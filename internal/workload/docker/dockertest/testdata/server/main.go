// Command server is the entrypoint of the test image: a static HTTP server
// on $PORT (default 8080) that answers every request with its client's
// address, so a test can see what the container sees.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "client %s\n", r.RemoteAddr)
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}

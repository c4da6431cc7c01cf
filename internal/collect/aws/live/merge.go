package live

import (
	"context"
	"reflect"
)

// tokenFields are the pagination members the AWS CLI drops after merging
// pages (botocore's PageIterator.build_full_result keeps only result keys
// and declared non-aggregate keys).
var tokenFields = map[string]bool{
	"NextToken": true, "Marker": true, "NextMarker": true, "IsTruncated": true,
	"ContinuationToken": true, "NextContinuationToken": true,
	"LastEvaluatedTableName": true, // dynamodb list-tables
}

// allPages drains an SDK paginator (its HasMorePages and NextPage method
// values) and merges the pages as the AWS CLI does.
func allPages[O any, Opt any](ctx context.Context, more func() bool,
	next func(context.Context, ...func(*Opt)) (O, error)) (O, error) {
	var pages []O
	for more() {
		p, err := next(ctx)
		if err != nil {
			var zero O
			return zero, err
		}
		pages = append(pages, p)
	}
	return mergePages(pages), nil
}

// mergePages concatenates every slice member of the pages into the first
// page, keeps the first page's other members and clears pagination tokens.
// O is a pointer to an SDK output struct.
func mergePages[O any](pages []O) O {
	var zero O
	if len(pages) == 0 {
		return zero
	}
	acc := reflect.ValueOf(pages[0])
	if acc.Kind() != reflect.Pointer || acc.IsNil() || acc.Elem().Kind() != reflect.Struct {
		return pages[0]
	}
	st := acc.Elem()
	for _, p := range pages[1:] {
		pv := reflect.ValueOf(p)
		if pv.Kind() != reflect.Pointer || pv.IsNil() {
			continue
		}
		pv = pv.Elem()
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			if f.Kind() == reflect.Slice && f.CanSet() {
				f.Set(reflect.AppendSlice(f, pv.Field(i)))
			}
		}
	}
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		switch {
		case !f.CanSet():
		case tokenFields[st.Type().Field(i).Name]:
			f.SetZero()
		case f.Kind() == reflect.Slice && f.IsNil():
			// The CLI prints an empty result list as [], not nothing.
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	}
	return pages[0]
}

// normalize applies the page-merge clean-up to a single, unpaginated output.
func normalize[O any](out O) O { return mergePages([]O{out}) }

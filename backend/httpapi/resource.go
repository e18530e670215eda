package httpapi

import (
	"context"
	"errors"
	"net/http"

	"halochat/backend/httpx"
	"halochat/backend/store"
)

// resource is what one admin entity's handlers differ in. The handlers
// themselves (listAll, getOne, createOne, updateOne, deleteOne, changed)
// follow one skeleton each — decode, validate, store, answer — so every
// entity refuses, stores and answers alike. T is the stored entity, In
// the body POST and PUT take, J what the API shows. A hook left nil is
// for a route the entity does not have.
type resource[T, In, J any] struct {
	// load finds the entity the request's {id} names, or answers a 404.
	load func(context.Context, *http.Request) (*T, error)
	// list reads the entities a GET of the collection asks for (its
	// query included).
	list func(*http.Request) ([]T, error)
	show func(context.Context, *T) (J, error)
	// build validates in and returns the entity to store: a new one when
	// cur is nil, else cur as in changes it. It refuses a body whose id
	// is not cur's.
	build          func(ctx context.Context, cur *T, in *In) (*T, error)
	create, update func(context.Context, *T) error
	// taken is the refusal of a store conflict on create or update: v's
	// unique name, e-mail or id is another's.
	taken func(v *T) error
	// updated, when set, does what an update stored entails beyond the
	// entity itself (cur as it was, next as it is now).
	updated func(ctx context.Context, cur, next *T) error
	// remove deletes v, or refuses to.
	remove func(ctx context.Context, v *T) error
	// created, when set, is what a create answers instead of show's: the
	// secrets made or given, shown this once.
	created func(v *T) any
}

// shown makes a show hook of a function that needs nothing but the entity.
func shown[T, J any](show func(*T) J) func(context.Context, *T) (J, error) {
	return func(_ context.Context, v *T) (J, error) { return show(v), nil }
}

// all makes a list hook of a store call that takes no query.
func all[T any](list func(context.Context) ([]T, error)) func(*http.Request) ([]T, error) {
	return func(r *http.Request) ([]T, error) { return list(r.Context()) }
}

func (res resource[T, In, J]) listAll(w http.ResponseWriter, r *http.Request) error {
	items, err := res.list(r)
	if err != nil {
		return err
	}
	out := make([]J, len(items))
	for i := range items {
		if out[i], err = res.show(r.Context(), &items[i]); err != nil {
			return err
		}
	}
	return writeOK(w, http.StatusOK, out)
}

func (res resource[T, In, J]) getOne(w http.ResponseWriter, r *http.Request) error {
	return answerOne(w, r, res.load, res.show)
}

// answerOne answers the entity the request's path names, as show makes it.
func answerOne[T, J any](w http.ResponseWriter, r *http.Request, load func(context.Context, *http.Request) (*T, error), show func(context.Context, *T) (J, error)) error {
	v, err := load(r.Context(), r)
	if err != nil {
		return err
	}
	return answer(w, r.Context(), http.StatusOK, v, show)
}

// answer answers v as show makes it, with status.
func answer[T, J any](w http.ResponseWriter, ctx context.Context, status int, v *T, show func(context.Context, *T) (J, error)) error {
	j, err := show(ctx, v)
	if err != nil {
		return err
	}
	return writeOK(w, status, j)
}

func (res resource[T, In, J]) createOne(w http.ResponseWriter, r *http.Request) error {
	return res.save(w, r, nil)
}

func (res resource[T, In, J]) updateOne(w http.ResponseWriter, r *http.Request) error {
	cur, err := res.load(r.Context(), r)
	if err != nil {
		return err
	}
	return res.save(w, r, cur)
}

// save builds the entity the body describes — a new one when cur is nil,
// else cur changed — stores it and answers it.
func (res resource[T, In, J]) save(w http.ResponseWriter, r *http.Request, cur *T) error {
	ctx := r.Context()
	var in In
	if err := httpx.ReadJSON(w, r, maxAdminBody, &in); err != nil {
		return err
	}
	// build may change cur itself: keep what it was for updated.
	var was T
	if cur != nil {
		was = *cur
	}
	next, err := res.build(ctx, cur, &in)
	if err != nil {
		return err
	}
	if cur == nil {
		if err := res.stored(res.create(ctx, next), next); err != nil {
			return err
		}
		if res.created != nil {
			return writeOK(w, http.StatusCreated, res.created(next))
		}
		return answer(w, ctx, http.StatusCreated, next, res.show)
	}
	if err := res.stored(res.update(ctx, next), next); err != nil {
		return err
	}
	if res.updated != nil {
		if err := res.updated(ctx, &was, next); err != nil {
			return err
		}
	}
	return answer(w, ctx, http.StatusOK, next, res.show)
}

// stored refuses a store conflict of saving v as taken says.
func (res resource[T, In, J]) stored(err error, v *T) error {
	if res.taken != nil && errors.Is(err, store.ErrConflict) {
		return res.taken(v)
	}
	return err
}

func (res resource[T, In, J]) deleteOne(w http.ResponseWriter, r *http.Request) error {
	v, err := res.load(r.Context(), r)
	if err != nil {
		return err
	}
	if err := res.remove(r.Context(), v); err != nil {
		return err
	}
	return writeOK(w, http.StatusNoContent, nil)
}

// changed is a handler that changes the entity the path names without a
// body (disabling it, say) and answers it as it is then.
func (res resource[T, In, J]) changed(change func(context.Context, *T) (*T, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		cur, err := res.load(r.Context(), r)
		if err != nil {
			return err
		}
		next, err := change(r.Context(), cur)
		if err != nil {
			return err
		}
		return answer(w, r.Context(), http.StatusOK, next, res.show)
	}
}

// pathIDIs refuses a body id that is set and is not the id in the path.
func pathIDIs(body, path int64) error {
	if body != 0 && body != path {
		return apiInvalid("id", "%d is not the id in the path (%d)", body, path)
	}
	return nil
}
